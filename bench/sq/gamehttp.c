/* gamehttp: the "game" every simulated server's httpGet probe asks, for bench/sq.sh.
 *
 * One process answers for all pods: it listens on 0.0.0.0:PORT, and a probe helper connects to
 * its own pod's loopback IP (the node simulator gives each pod one, 127.X.Y.Z), so the address
 * the connection arrived on (getsockname) says which server is asked. It answers 200 "ok", or
 * 503 "down" while the file DIR/<that IP> exists: the benchmark flips one server's probe
 * outcome by creating or removing that file. Every second it writes the number of requests
 * answered so far to DIR/served (the probes actually run).
 *
 *   gamehttp PORT DIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD	65536
#define REQ_MAX 2048

struct conn {
	size_t len;
	char buf[REQ_MAX];
};

static struct conn *conns[MAX_FD];
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* The request is complete: answer by the local address it came in on, then close. */
static void answer(int fd, const char *dir)
{
	static const char up[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n\r\nok";
	static const char down[] =
	    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 4\r\nConnection: close\r\n\r\ndown";
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char ip[INET_ADDRSTRLEN], path[4096];
	const char *msg = up;
	size_t len = sizeof(up) - 1;

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0 &&
	    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip))) {
		snprintf(path, sizeof(path), "%s/%s", dir, ip);
		if (access(path, F_OK) == 0) {
			msg = down;
			len = sizeof(down) - 1;
		}
	}
	if (write(fd, msg, len) < 0)
		return; /* the helper went away: nothing to do */
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct epoll_event ev = {.events = EPOLLIN}, evs[256];
	unsigned long long served = 0, written = ~0ULL;
	char served_path[4096], tmp_path[4200];
	int one = 1, lfd, ep;
	time_t last = 0;
	char *end;
	long port;

	if (argc != 3) {
		fprintf(stderr, "usage: gamehttp PORT DIR\n");
		return 2;
	}
	snprintf(served_path, sizeof(served_path), "%s/served", argv[2]);
	snprintf(tmp_path, sizeof(tmp_path), "%s/.served", argv[2]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	port = strtol(argv[1], &end, 10);
	if (*end || port <= 0 || port > 65535) {
		fprintf(stderr, "gamehttp: bad port %s\n", argv[1]);
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0) {
		perror("gamehttp: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		perror("gamehttp: epoll");
		return 1;
	}
	while (!stopping) {
		int n = epoll_wait(ep, evs, 256, 1000);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				struct sockaddr_in peer;
				socklen_t pl;
				int c;

				for (;;) {
					pl = sizeof(peer);
					c = accept4(lfd, (struct sockaddr *)&peer, &pl,
						    SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (c < 0)
						break;
					/* loopback only: the pods' IPs are 127.X.Y.Z */
					if ((ntohl(peer.sin_addr.s_addr) >> 24) != 127 ||
					    c >= MAX_FD ||
					    !(conns[c] = calloc(1, sizeof(**conns)))) {
						close(c);
						continue;
					}
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
						drop(ep, c);
				}
				continue;
			}
			{
				struct conn *cn = conns[fd];
				ssize_t r;

				if (!cn)
					continue;
				r = read(fd, cn->buf + cn->len, sizeof(cn->buf) - 1 - cn->len);
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (r <= 0) {
					drop(ep, fd);
					continue;
				}
				cn->len += (size_t)r;
				cn->buf[cn->len] = '\0';
				if (strstr(cn->buf, "\r\n\r\n")) {
					answer(fd, argv[2]);
					served++;
					drop(ep, fd);
				} else if (cn->len >= sizeof(cn->buf) - 1) {
					drop(ep, fd);
				}
			}
		}
		if (served != written && time(NULL) != last) {
			FILE *f = fopen(tmp_path, "w");

			if (f) {
				fprintf(f, "%llu\n", served);
				if (fclose(f) == 0 && rename(tmp_path, served_path) == 0)
					written = served;
				last = time(NULL);
			}
		}
	}
	return 0;
}
