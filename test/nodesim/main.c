/* okg-nodesim: a kubelet stand-in for tests on a real API server with no container runtime.
 *
 * It registers Nodes, binds unscheduled pods to them (when no scheduler runs), runs each
 * container's command as a local process in the pod's own process group, gives every pod its
 * own loopback IP, reports status as the kubelet does, restarts containers by restartPolicy,
 * restarts a container whose image changed, and finalizes deletions after the grace period. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "lib/backoff.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "lib/informer.h"
#include "lib/kube.h"
#include "lib/kubeconfig.h"
#include "lib/log.h"
#include "test/nodesim/kubelet.h"
#include "test/nodesim/podfs.h"
#include "test/nodesim/podspec.h"
#include "test/nodesim/proc.h"

#define MAX_NODES 64

/* --- configuration ------------------------------------------------------------------------ */

static char *opt_kubeconfig, *opt_node_name, *opt_node_ip, *opt_pod_ip_base, *opt_image_map,
    *opt_log_dir, *opt_log_level;
static long opt_nodes, opt_kubelet_port, opt_backoff_base_ms, opt_backoff_max_ms, opt_heartbeat_s;
static bool opt_bind, opt_isolate;

static const struct cfg_opt options[] = {
    {"kubeconfig", "KUBECONFIG", CFG_STR, NULL, 0, 0, &opt_kubeconfig,
     "kubeconfig file (else in-cluster, ~/.kube/config)", false},
    {"node-name", "OKG_SIM_NODE_NAME", CFG_STR, "okg-sim", 0, 0, &opt_node_name,
     "node name (with --nodes > 1: NAME-0, NAME-1, ...)", false},
    {"nodes", "OKG_SIM_NODES", CFG_INT, "1", 1, MAX_NODES, &opt_nodes, "how many nodes", false},
    {"node-ip", "OKG_SIM_NODE_IP", CFG_STR, "127.0.0.1", 0, 0, &opt_node_ip,
     "the nodes' InternalIP (loopback)", false},
    {"pod-ip-base", "OKG_SIM_POD_IP_BASE", CFG_STR, "127.1", 0, 0, &opt_pod_ip_base,
     "first two octets of pod IPs (127.X)", false},
    {"kubelet-port", "OKG_SIM_KUBELET_PORT", CFG_INT, "0", 0, 65535, &opt_kubelet_port,
     "HTTPS port of the kubelet endpoint (0 = any free port)", false},
    {"bind", "OKG_SIM_BIND", CFG_BOOL, "true", 0, 0, &opt_bind,
     "bind unscheduled pods to the simulated nodes (no scheduler running)", false},
    {"isolate-pods", "OKG_SIM_ISOLATE_PODS", CFG_BOOL, "true", 0, 0, &opt_isolate,
     "give each pod its own PID and mount namespaces (private /proc; needs root)", false},
    {"image-map", "OKG_SIM_IMAGE_MAP", CFG_STR, NULL, 0, 0, &opt_image_map,
     "YAML file mapping images to local commands", false},
    {"log-dir", "OKG_SIM_LOG_DIR", CFG_STR, NULL, 0, 0, &opt_log_dir,
     "where container output goes (default: a new temp dir)", false},
    {"restart-backoff-ms", "OKG_SIM_RESTART_BACKOFF_MS", CFG_INT, "1000", 0, 600000,
     &opt_backoff_base_ms, "first container restart delay", false},
    {"restart-backoff-max-ms", "OKG_SIM_RESTART_BACKOFF_MAX_MS", CFG_INT, "10000", 0, 600000,
     &opt_backoff_max_ms, "longest container restart delay", false},
    {"heartbeat-seconds", "OKG_SIM_HEARTBEAT_SECONDS", CFG_INT, "30", 1, 3600, &opt_heartbeat_s,
     "node status heartbeat", false},
    {"log-level", "OKG_LOG_LEVEL", CFG_STR, "info", 0, 0, &opt_log_level,
     "debug, info, warn or error", false},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* --- state ---------------------------------------------------------------------------------- */

struct ctr {
	char *name, *image;
	pid_t pid; /* > 0 while the process runs */
	struct ps_cstate st;
	char wait_message[512];
	double restart_at; /* monotonic time of the next start, 0 = none */
	int crash_streak;
	bool restart_on_exit; /* killed for an image change: start again at once */
	char log_path[1024];
};

struct pod {
	char *uid, *ns, *name, *node;
	char ip[INET_ADDRSTRLEN];
	pid_t sandbox;
	bool isolated; /* own PID and mount namespaces */
	bool has_fs;   /* podfs set up under fs_dir */
	char fs_dir[400];
	struct ctr *c;
	size_t nc;
	char *restart_policy;
	time_t start_time, ready_changed;
	bool ready;
	bool terminating;
	double kill_at;
	bool killed;
	double delete_retry_at;
	bool delete_done;
	char *last_status;
	double status_retry_at;
	struct pod *next;
};

struct event {
	int type; /* 0 upsert, 1 delete */
	cJSON *obj;
	struct event *next;
};

static struct {
	struct kube_client *kc;
	struct kube_config cfg;
	struct ps_image_map images;
	struct kl_server *kubelet;
	int kubelet_port;
	char nodes[MAX_NODES][128];
	int node_pods[MAX_NODES];
	struct pod *pods;
	size_t npods;
	unsigned ip_next;
	int wake[2];
	pthread_mutex_t qlock;
	struct event *qhead, *qtail;
	bool snapshot_dirty;
	char extra_env[64];
	char started[32]; /* Ready since: the lastTransitionTime of the nodes */
	bool warned_isolation;
} sim = {.wake = {-1, -1}, .qlock = PTHREAD_MUTEX_INITIALIZER};

static volatile sig_atomic_t stop_requested;

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wake_main(void)
{
	char b = 1;

	if (write(sim.wake[1], &b, 1) < 0) {
		/* a full pipe already guarantees a wake-up */
	}
}

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		stop_requested = 1;
	wake_main();
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* --- informer -> main loop queue ---------------------------------------------------------- */

static void enqueue(int type, const cJSON *obj)
{
	struct event *e = calloc(1, sizeof(*e));

	if (!e)
		return;
	e->type = type;
	e->obj = cJSON_Duplicate(obj, 1);
	if (!e->obj) {
		free(e);
		return;
	}
	pthread_mutex_lock(&sim.qlock);
	if (sim.qtail)
		sim.qtail->next = e;
	else
		sim.qhead = e;
	sim.qtail = e;
	pthread_mutex_unlock(&sim.qlock);
	wake_main();
}

static void on_add(void *ud, const cJSON *obj)
{
	(void)ud;
	enqueue(0, obj);
}

static void on_update(void *ud, const cJSON *old, const cJSON *obj)
{
	(void)ud, (void)old;
	enqueue(0, obj);
}

static void on_delete(void *ud, const cJSON *obj)
{
	(void)ud;
	enqueue(1, obj);
}

/* --- nodes ----------------------------------------------------------------------------------- */

static int node_index(const char *name)
{
	for (long i = 0; name && i < opt_nodes; i++)
		if (!strcmp(sim.nodes[i], name))
			return (int)i;
	return -1;
}

static int patch_node_status(int i)
{
	char now[32], path[256], q[600];
	struct buf b;
	struct kube_resp resp;
	int r;

	ps_time(time(NULL), now, sizeof(now));
	buf_init(&b, 8192);
	/* No Hostname address: the API server would resolve it to reach the kubelet endpoint
	 * (logs, exec), and simulated node names resolve nowhere. */
	r = buf_printf(
	    &b,
	    "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"}],"
	    "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":%d}},"
	    "\"capacity\":{\"cpu\":\"64\",\"memory\":\"256Gi\",\"pods\":\"5000\"},"
	    "\"allocatable\":{\"cpu\":\"64\",\"memory\":\"256Gi\",\"pods\":\"5000\"},"
	    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\","
	    "\"message\":\"okg-nodesim is running pods\",\"lastHeartbeatTime\":\"%s\","
	    "\"lastTransitionTime\":\"%s\"}],"
	    "\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2-okg-sim\",\"kubeProxyVersion\":\"\","
	    "\"containerRuntimeVersion\":\"okg-sim://1\",\"operatingSystem\":\"linux\","
	    "\"architecture\":\"amd64\",\"osImage\":\"okg node simulator\","
	    "\"kernelVersion\":\"\",\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\"}}}",
	    opt_node_ip, sim.kubelet_port, now, sim.started);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	snprintf(path, sizeof(path), "/api/v1/nodes/%s/status", sim.nodes[i]);
	r = kube_patch(sim.kc, path, KUBE_PATCH_MERGE, b.data, NULL, &resp);
	if (r < 0)
		LOG_WARNF("node_status_failed", "node=%s err=%s message=%s", sim.nodes[i],
			  kube_strerror(r), log_quote(resp.message, q, sizeof(q)));
	kube_resp_free(&resp);
	buf_free(&b);
	return r;
}

static int register_node(int i)
{
	cJSON *node = NULL, *meta, *labels;
	struct kube_resp resp;
	char q[600];
	int r = -ENOMEM;

	node = cJSON_CreateObject();
	if (!node || !cJSON_AddStringToObject(node, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(node, "kind", "Node"))
		goto out;
	meta = cJSON_AddObjectToObject(node, "metadata");
	if (!meta || !cJSON_AddStringToObject(meta, "name", sim.nodes[i]))
		goto out;
	labels = cJSON_AddObjectToObject(meta, "labels");
	if (!labels || !cJSON_AddStringToObject(labels, "kubernetes.io/hostname", sim.nodes[i]) ||
	    !cJSON_AddStringToObject(labels, "kubernetes.io/os", "linux") ||
	    !cJSON_AddStringToObject(labels, "kubernetes.io/arch", "amd64") ||
	    !cJSON_AddStringToObject(labels, "okg.dev/simulated", "true"))
		goto out;
	r = kube_create(sim.kc, "/api/v1/nodes", node, NULL, &resp);
	if (r == KUBE_EEXISTS)
		r = 0;
	if (r < 0)
		LOG_ERRORF("node_register_failed", "node=%s err=%s message=%s", sim.nodes[i],
			   kube_strerror(r), log_quote(resp.message, q, sizeof(q)));
	kube_resp_free(&resp);
	if (r == 0)
		r = patch_node_status(i);
	if (r == 0)
		LOG_INFOF("node_registered", "node=%s ip=%s kubelet_port=%d", sim.nodes[i],
			  opt_node_ip, sim.kubelet_port);
out:
	cJSON_Delete(node);
	return r;
}

/* --- pods ------------------------------------------------------------------------------------ */

static struct pod *find_pod(const char *ns, const char *name)
{
	for (struct pod *p = sim.pods; p; p = p->next)
		if (!strcmp(p->ns, ns) && !strcmp(p->name, name))
			return p;
	return NULL;
}

static bool ip_in_use(const char *ip)
{
	for (struct pod *p = sim.pods; p; p = p->next)
		if (!strcmp(p->ip, ip))
			return true;
	return false;
}

static int alloc_ip(char *out, size_t outlen)
{
	for (unsigned tries = 0; tries < 65534u * 2; tries++) {
		unsigned n = sim.ip_next++ % 65534u + 1; /* 1..65534: skip .0.0 and .255.255 */

		snprintf(out, outlen, "%s.%u.%u", opt_pod_ip_base, n >> 8, n & 255);
		if ((n & 255) == 0 || (n & 255) == 255)
			continue;
		if (!ip_in_use(out))
			return 0;
	}
	return -ENOSPC;
}

static void container_id(struct pod *p, struct ctr *c)
{
	snprintf(c->st.container_id, sizeof(c->st.container_id), "okg-sim://%.36s-%.24s-%d", p->uid,
		 c->name, c->st.restart_count);
}

static void start_container(struct pod *p, struct ctr *c, const struct ps_container *spec)
{
	char msg[512], q[600];
	pid_t pid;
	int r;

	container_id(p, c);
	r = proc_start(spec, p->sandbox, p->isolated, c->log_path, sim.extra_env, &pid, msg,
		       sizeof(msg));
	c->restart_at = 0;
	if (r < 0) {
		unsigned delay = (unsigned)opt_backoff_base_ms
				 << (c->crash_streak < 10 ? c->crash_streak : 10);

		if (delay > (unsigned)opt_backoff_max_ms)
			delay = (unsigned)opt_backoff_max_ms;
		c->crash_streak++;
		c->st.kind = PS_WAITING;
		c->st.wait_reason = r == -ENOENT ? "CreateContainerError" : "RunContainerError";
		snprintf(c->wait_message, sizeof(c->wait_message), "%s", msg);
		c->st.wait_message = c->wait_message;
		c->restart_at = mono_now() + delay / 1000.0;
		LOG_WARNF("container_start_failed", "ns=%s pod=%s container=%s message=%s", p->ns,
			  p->name, c->name, log_quote(msg, q, sizeof(q)));
		return;
	}
	c->pid = pid;
	c->st.kind = PS_RUNNING;
	c->st.started_at = time(NULL);
	c->st.wait_reason = NULL;
	c->st.wait_message = NULL;
	LOG_INFOF("container_started", "ns=%s pod=%s container=%s pid=%d ip=%s restarts=%d", p->ns,
		  p->name, c->name, (int)pid, p->ip, c->st.restart_count);
}

/* Parses the current pod spec and starts container i (or every container when i < 0). */
static void start_containers(struct pod *p, const cJSON *obj, int only)
{
	struct ps_pod spec;
	char err[512], q[600];
	int r;

	r = ps_pod_parse(obj, &sim.images, p->ip, opt_node_ip, &spec, err, sizeof(err));
	if (r < 0) {
		LOG_ERRORF("pod_spec_unusable", "ns=%s pod=%s message=%s", p->ns, p->name,
			   log_quote(err, q, sizeof(q)));
		return;
	}
	for (size_t i = 0; i < p->nc && i < spec.nc; i++) {
		if (only >= 0 && (size_t)only != i)
			continue;
		if (p->c[i].pid > 0)
			continue;
		free(p->c[i].image);
		p->c[i].image = strdup(spec.c[i].image);
		p->c[i].st.image = p->c[i].image;
		start_container(p, &p->c[i], &spec.c[i]);
	}
	ps_pod_free(&spec);
}

static void free_pod(struct pod *p)
{
	for (size_t i = 0; i < p->nc; i++) {
		free(p->c[i].name);
		free(p->c[i].image);
	}
	free(p->c);
	free(p->uid);
	free(p->ns);
	free(p->name);
	free(p->node);
	free(p->restart_policy);
	free(p->last_status);
	free(p);
}

static void remove_pod(struct pod *p)
{
	struct pod **pp = &sim.pods;
	int ni = node_index(p->node);

	/* The pod's process group holds its sandbox and containers (and, isolated, the pod's
	 * init, whose death ends the whole PID namespace): one signal suffices, no /proc walk,
	 * which matters when thousands of pods go at once. */
	proc_kill_group(p->sandbox, SIGKILL);
	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].pid > 0)
			kill(p->c[i].pid, SIGKILL);
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	if (ni >= 0)
		sim.node_pods[ni]--;
	sim.npods--;
	sim.snapshot_dirty = true;
	LOG_INFOF("pod_removed", "ns=%s pod=%s uid=%s", p->ns, p->name, p->uid);
	if (p->has_fs)
		pf_remove(p->fs_dir);
	free_pod(p);
}

static int get_configmap(void *ud, const char *ns, const char *name, cJSON **out)
{
	struct kube_resp resp;
	char path[600];
	int r;

	(void)ud;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps/%s", ns, name);
	r = kube_get(sim.kc, path, out, &resp);
	kube_resp_free(&resp);
	if (r == KUBE_ENOTFOUND)
		return -ENOENT;
	return r < 0 ? -EIO : 0;
}

/* An isolated pod's /etc/hosts and configMap volumes (see podfs.h). */
static void setup_pod_fs(struct pod *p, const cJSON *obj)
{
	char msg[1024], q[1100];
	int r;

	snprintf(p->fs_dir, sizeof(p->fs_dir), "%s/fs/%s", opt_log_dir, p->uid);
	r = pf_setup(p->sandbox, p->fs_dir, p->ip, obj, get_configmap, NULL, msg, sizeof(msg));
	p->has_fs = true;
	if (r < 0 || msg[0])
		LOG_WARNF("pod_fs_incomplete", "ns=%s pod=%s message=%s", p->ns, p->name,
			  log_quote(msg, q, sizeof(q)));
}

static struct pod *create_pod(const cJSON *obj)
{
	const cJSON *meta = jobj(obj, "metadata"), *spec = jobj(obj, "spec");
	const cJSON *ctrs = jobj(spec, "containers"), *ct;
	const char *rp = jstr(spec, "restartPolicy");
	struct pod *p = calloc(1, sizeof(*p));
	size_t n = (size_t)cJSON_GetArraySize(ctrs), i = 0;
	char q[600];
	int r;

	if (!p)
		return NULL;
	p->uid = strdup(jstr(meta, "uid") ? jstr(meta, "uid") : "");
	p->ns = strdup(jstr(meta, "namespace") ? jstr(meta, "namespace") : "default");
	p->name = strdup(jstr(meta, "name") ? jstr(meta, "name") : "");
	p->node = strdup(jstr(spec, "nodeName") ? jstr(spec, "nodeName") : "");
	p->restart_policy = strdup(rp ? rp : "Always");
	p->c = calloc(n ? n : 1, sizeof(*p->c));
	if (!p->uid || !p->ns || !p->name || !p->node || !p->restart_policy || !p->c)
		goto fail;
	p->nc = n;
	cJSON_ArrayForEach(ct, ctrs)
	{
		const char *cn = jstr(ct, "name");

		p->c[i].name = strdup(cn ? cn : "");
		if (!p->c[i].name)
			goto fail;
		p->c[i].st.name = p->c[i].name;
		p->c[i].st.kind = PS_WAITING;
		p->c[i].st.wait_reason = "ContainerCreating";
		if (kl_log_path(opt_log_dir, p->ns, p->name, p->c[i].name, p->c[i].log_path,
				sizeof(p->c[i].log_path)) < 0)
			snprintf(p->c[i].log_path, sizeof(p->c[i].log_path), "/dev/null");
		i++;
	}
	r = alloc_ip(p->ip, sizeof(p->ip));
	if (r < 0) {
		LOG_ERRORF("pod_ip_exhausted", "ns=%s pod=%s", p->ns, p->name);
		goto fail;
	}
	r = proc_start_sandbox(opt_isolate, &p->sandbox, &p->isolated);
	if (r == 0 && opt_isolate && !p->isolated && !sim.warned_isolation) {
		LOG_WARNF("pod_isolation_unavailable", "reason=%s",
			  "no CAP_SYS_ADMIN: pods share the host's PID namespace");
		sim.warned_isolation = true;
	}
	if (r < 0) {
		LOG_ERRORF("sandbox_failed", "ns=%s pod=%s message=%s", p->ns, p->name,
			   log_quote(strerror(-r), q, sizeof(q)));
		goto fail;
	}
	if (p->isolated)
		setup_pod_fs(p, obj);
	p->start_time = time(NULL);
	p->ready_changed = p->start_time;
	p->next = sim.pods;
	sim.pods = p;
	sim.npods++;
	r = node_index(p->node);
	if (r >= 0)
		sim.node_pods[r]++;
	sim.snapshot_dirty = true;
	LOG_INFOF("pod_started", "ns=%s pod=%s uid=%s node=%s ip=%s containers=%zu", p->ns, p->name,
		  p->uid, p->node, p->ip, p->nc);
	start_containers(p, obj, -1);
	return p;
fail:
	free_pod(p);
	return NULL;
}

static void begin_termination(struct pod *p, long grace_s)
{
	if (p->terminating)
		return;
	p->terminating = true;
	p->kill_at = mono_now() + (double)(grace_s > 0 ? grace_s : 0);
	LOG_INFOF("pod_terminating", "ns=%s pod=%s grace_s=%ld", p->ns, p->name, grace_s);
	for (size_t i = 0; i < p->nc; i++) {
		p->c[i].restart_at = 0;
		if (p->c[i].pid > 0)
			proc_kill_tree(p->c[i].pid, grace_s > 0 ? SIGTERM : SIGKILL);
	}
}

static void bind_pod(const cJSON *obj)
{
	const cJSON *meta = jobj(obj, "metadata");
	const char *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");
	const char *sched = jstr(jobj(obj, "spec"), "schedulerName");
	char path[512], body[768], q[600];
	struct kube_resp resp;
	int best = 0, r;

	if (!opt_bind || !ns || !name || cJSON_IsString(jobj(meta, "deletionTimestamp")))
		return;
	if (sched && strcmp(sched, "default-scheduler") != 0)
		return;
	for (int i = 1; i < opt_nodes; i++)
		if (sim.node_pods[i] < sim.node_pods[best])
			best = i;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/binding", ns, name);
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"%s\"},"
		 "\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"%s\"}}",
		 name, sim.nodes[best]);
	r = kube_request(sim.kc, "POST", path, "application/json", body, strlen(body), &resp);
	if (r == 0)
		LOG_INFOF("pod_bound", "ns=%s pod=%s node=%s", ns, name, sim.nodes[best]);
	else if (r != KUBE_ECONFLICT && r != KUBE_ENOTFOUND)
		LOG_WARNF("pod_bind_failed", "ns=%s pod=%s err=%s message=%s", ns, name,
			  kube_strerror(r), log_quote(resp.message, q, sizeof(q)));
	kube_resp_free(&resp);
}

static void handle_upsert(const cJSON *obj)
{
	const cJSON *meta = jobj(obj, "metadata"), *spec = jobj(obj, "spec");
	const char *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");
	const char *uid = jstr(meta, "uid"), *node = jstr(spec, "nodeName");
	const char *phase = jstr(jobj(obj, "status"), "phase");
	bool deleting = cJSON_IsString(jobj(meta, "deletionTimestamp"));
	struct pod *p;

	if (!ns || !name || !uid)
		return;
	if (!node || !*node) {
		bind_pod(obj);
		return;
	}
	if (node_index(node) < 0)
		return;
	p = find_pod(ns, name);
	if (p && strcmp(p->uid, uid) != 0) {
		/* Same name, new pod: the old one is gone even if we missed its deletion. */
		remove_pod(p);
		p = NULL;
	}
	if (!p) {
		if (deleting) {
			/* Terminating before we ran it (or before a simulator restart): finish it.
			 */
			struct ps_pod tmp;
			char err[256];

			if (ps_pod_parse(obj, NULL, NULL, NULL, &tmp, err, sizeof(err)) == 0) {
				p = create_pod(obj);
				if (p)
					begin_termination(p, 0);
				ps_pod_free(&tmp);
			}
			return;
		}
		if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
			return;
		create_pod(obj);
		return;
	}
	if (deleting) {
		const cJSON *g = jobj(meta, "deletionGracePeriodSeconds");

		begin_termination(p, cJSON_IsNumber(g) ? (long)g->valuedouble : 30);
		return;
	}
	/* In-place update: a container whose image changed restarts with the new image. */
	{
		const cJSON *ctrs = jobj(spec, "containers"), *ct;
		size_t i = 0;

		cJSON_ArrayForEach(ct, ctrs)
		{
			const char *img = jstr(ct, "image");

			if (i < p->nc && img && p->c[i].image && strcmp(img, p->c[i].image) != 0 &&
			    !p->terminating) {
				LOG_INFOF("container_image_changed",
					  "ns=%s pod=%s container=%s old=%s new=%s", p->ns, p->name,
					  p->c[i].name, p->c[i].image, img);
				free(p->c[i].image);
				p->c[i].image = strdup(img);
				p->c[i].st.image = p->c[i].image;
				if (p->c[i].pid > 0) {
					p->c[i].restart_on_exit = true;
					proc_kill_tree(p->c[i].pid, SIGTERM);
				} else {
					p->c[i].restart_at = mono_now();
				}
			}
			i++;
		}
	}
}

static void handle_delete(const cJSON *obj)
{
	const cJSON *meta = jobj(obj, "metadata");
	const char *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");
	const char *uid = jstr(meta, "uid");
	struct pod *p;

	if (!ns || !name)
		return;
	p = find_pod(ns, name);
	if (p && (!uid || !strcmp(p->uid, uid)))
		remove_pod(p);
}

static void drain_events(void)
{
	for (;;) {
		struct event *e;

		pthread_mutex_lock(&sim.qlock);
		e = sim.qhead;
		if (e) {
			sim.qhead = e->next;
			if (!sim.qhead)
				sim.qtail = NULL;
		}
		pthread_mutex_unlock(&sim.qlock);
		if (!e)
			return;
		if (e->type == 0)
			handle_upsert(e->obj);
		else
			handle_delete(e->obj);
		cJSON_Delete(e->obj);
		free(e);
	}
}

static struct ctr *find_ctr_by_pid(pid_t pid, struct pod **owner)
{
	for (struct pod *p = sim.pods; p; p = p->next)
		for (size_t i = 0; i < p->nc; i++)
			if (p->c[i].pid == pid) {
				*owner = p;
				return &p->c[i];
			}
	return NULL;
}

static void reap_children(void)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		struct pod *p = NULL;
		struct ctr *c;
		bool restart;
		time_t now = time(NULL);

		if (pid <= 0)
			return;
		c = find_ctr_by_pid(pid, &p);
		if (!c)
			continue; /* a sandbox, or a process of a pod already removed */
		c->pid = 0;
		c->st.term.started_at = c->st.started_at;
		c->st.term.finished_at = now;
		c->st.term.exit_code =
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		c->st.term.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		c->st.term.reason = c->st.term.exit_code == 0 ? "Completed" : "Error";
		memcpy(c->st.term.container_id, c->st.container_id, sizeof(c->st.container_id));
		c->st.kind = PS_TERMINATED;
		LOG_INFOF("container_exited", "ns=%s pod=%s container=%s pid=%d exit_code=%d",
			  p->ns, p->name, c->name, (int)pid, c->st.term.exit_code);
		if (p->terminating)
			continue;
		if (c->restart_on_exit) {
			c->restart_on_exit = false;
			c->st.has_last = true;
			c->st.last = c->st.term;
			c->st.restart_count++;
			c->restart_at = mono_now();
			continue;
		}
		restart = !strcmp(p->restart_policy, "Always") ||
			  (!strcmp(p->restart_policy, "OnFailure") && c->st.term.exit_code != 0);
		if (restart) {
			unsigned delay;

			if (now - c->st.started_at > 10)
				c->crash_streak = 0; /* it ran for a while: not a crash loop */
			delay = (unsigned)opt_backoff_base_ms
				<< (c->crash_streak < 10 ? c->crash_streak : 10);
			if (delay > (unsigned)opt_backoff_max_ms)
				delay = (unsigned)opt_backoff_max_ms;
			c->crash_streak++;
			c->st.has_last = true;
			c->st.last = c->st.term;
			c->st.restart_count++;
			c->st.kind = PS_WAITING;
			c->st.wait_reason = "CrashLoopBackOff";
			snprintf(c->wait_message, sizeof(c->wait_message),
				 "back-off %ums restarting failed container", delay);
			c->st.wait_message = c->wait_message;
			c->restart_at = mono_now() + delay / 1000.0;
		}
	}
}

static int delete_pod_now(struct pod *p)
{
	char path[512], body[256], q[600];
	struct kube_resp resp;
	int r;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", p->ns, p->name);
	snprintf(body, sizeof(body),
		 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
		 "\"preconditions\":{\"uid\":\"%s\"}}",
		 p->uid);
	r = kube_delete(sim.kc, path, body, &resp);
	if (r == KUBE_ENOTFOUND || r == KUBE_ECONFLICT)
		r = 0; /* gone already, or a new pod of that name: ours is finished either way */
	if (r < 0)
		LOG_WARNF("pod_finalize_failed", "ns=%s pod=%s err=%s message=%s", p->ns, p->name,
			  kube_strerror(r), log_quote(resp.message, q, sizeof(q)));
	kube_resp_free(&resp);
	return r;
}

static void run_timers(void)
{
	double now = mono_now();
	struct pod *p = sim.pods, *next;

	for (; p; p = next) {
		next = p->next;
		if (p->terminating) {
			bool alive = false;

			for (size_t i = 0; i < p->nc; i++)
				alive |= p->c[i].pid > 0;
			if (alive && now < p->kill_at)
				continue;
			if (!p->killed) {
				proc_kill_group(p->sandbox, SIGKILL);
				for (size_t i = 0; i < p->nc; i++)
					if (p->c[i].pid > 0)
						proc_kill_tree(p->c[i].pid, SIGKILL);
				p->killed = true;
			}
			if (!p->delete_done && now >= p->delete_retry_at) {
				if (delete_pod_now(p) == 0)
					p->delete_done = true; /* the DELETED event removes it */
				else
					p->delete_retry_at = now + 1.0;
			}
			continue;
		}
		for (size_t i = 0; i < p->nc; i++) {
			if (p->c[i].restart_at > 0 && p->c[i].restart_at <= now &&
			    p->c[i].pid == 0) {
				char path[512];
				cJSON *obj = NULL;
				struct kube_resp resp;
				int r;

				/* Start from the pod as it is now (its image may have changed). */
				snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", p->ns,
					 p->name);
				r = kube_get(sim.kc, path, &obj, &resp);
				kube_resp_free(&resp);
				if (r < 0) {
					p->c[i].restart_at = now + 1.0;
					continue;
				}
				start_containers(p, obj, (int)i);
				cJSON_Delete(obj);
			}
		}
	}
}

static void sync_status(void)
{
	double now = mono_now();

	for (struct pod *p = sim.pods; p; p = p->next) {
		struct ps_cstate cs[64];
		struct ps_status_in in = {0};
		bool ready = p->nc > 0;
		char path[512], q[600];
		struct kube_resp resp;
		char *text;
		size_t n = p->nc < 64 ? p->nc : 64;
		int r;

		if (p->terminating || now < p->status_retry_at)
			continue;
		for (size_t i = 0; i < n; i++) {
			p->c[i].st.ready = p->c[i].st.kind == PS_RUNNING;
			ready &= p->c[i].st.ready;
			cs[i] = p->c[i].st;
		}
		if (ready != p->ready) {
			p->ready = ready;
			p->ready_changed = time(NULL);
		}
		in.phase = ps_phase(cs, n, p->restart_policy);
		in.pod_ip = p->ip;
		in.host_ip = opt_node_ip;
		in.start_time = p->start_time;
		in.ready = p->ready;
		in.ready_changed = p->ready_changed;
		in.c = cs;
		in.nc = n;
		text = ps_status_patch(&in);
		if (!text)
			continue;
		if (p->last_status && !strcmp(p->last_status, text)) {
			free(text);
			continue;
		}
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status", p->ns,
			 p->name);
		r = kube_patch(sim.kc, path, KUBE_PATCH_MERGE, text, NULL, &resp);
		if (r == 0) {
			free(p->last_status);
			p->last_status = text;
			LOG_DEBUGF("pod_status", "ns=%s pod=%s phase=%s ready=%d", p->ns, p->name,
				   in.phase, (int)p->ready);
		} else {
			free(text);
			p->status_retry_at = now + 1.0;
			if (r != KUBE_ENOTFOUND)
				LOG_WARNF("pod_status_failed", "ns=%s pod=%s err=%s message=%s",
					  p->ns, p->name, kube_strerror(r),
					  log_quote(resp.message, q, sizeof(q)));
		}
		kube_resp_free(&resp);
	}
}

static void publish_snapshot(void)
{
	struct buf b;

	if (!sim.snapshot_dirty || !sim.kubelet)
		return;
	buf_init(&b, 16u << 20);
	buf_append_str(&b, "{\"kind\":\"PodList\",\"items\":[");
	for (struct pod *p = sim.pods; p; p = p->next) {
		buf_printf(&b,
			   "%s{\"namespace\":\"%s\",\"name\":\"%s\",\"uid\":\"%s\",\"ip\":\"%s\","
			   "\"sandboxPid\":%d}",
			   p == sim.pods ? "" : ",", p->ns, p->name, p->uid, p->ip,
			   (int)p->sandbox);
	}
	buf_append_str(&b, "]}");
	if (b.data)
		kl_set_pods(sim.kubelet, b.data);
	buf_free(&b);
	sim.snapshot_dirty = false;
}

static void shutdown_pods(void)
{
	double deadline = mono_now() + 5.0;

	while (sim.pods)
		remove_pod(sim.pods);
	/* Reap every process we started, so none is left as a zombie (in a container, PID 1
	 * may not reap orphans). SIGKILL was sent: this takes milliseconds. */
	while (mono_now() < deadline) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0)
			break; /* ECHILD: all reaped */
		if (pid == 0)
			backoff_sleep_ms(10);
	}
}

static int setup_log_dir(void)
{
	char tmpl[] = "/tmp/okg-nodesim.XXXXXX";

	if (opt_log_dir) {
		if (mkdir(opt_log_dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	if (!mkdtemp(tmpl))
		return -errno;
	opt_log_dir = strdup(tmpl);
	return opt_log_dir ? 0 : -ENOMEM;
}

int main(int argc, char **argv)
{
	char err[2048];
	struct informer *inf = NULL;
	struct inf_handlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete};
	struct inf_opts io = {.path = "/api/v1/pods", .name = "pods"};
	struct kube_client_opts ko = {.user_agent = "okg-nodesim",
				      .timeout_ms = 10000,
				      .max_retries = 2,
				      .stop = (const volatile int *)&stop_requested};
	struct sigaction sa = {0};
	enum log_level lvl = LOG_INFO;
	double next_heartbeat = 0;
	int r, rc = 1;

	if (argc == 1 && strcmp(argv[0], "/pause") == 0)
		proc_pod_init(); /* re-executed as an isolated pod's init */
	r = cfg_parse(options, N_OPTIONS, argc, argv, stdout, err, sizeof(err));
	if (r == 1)
		return 0;
	if (r < 0) {
		fprintf(stderr, "okg-nodesim: %s\n", err);
		return 2;
	}
	if (log_level_parse(opt_log_level, &lvl) < 0) {
		fprintf(stderr,
			"okg-nodesim: --log-level: \"%s\" is not debug, info, warn or error\n",
			opt_log_level);
		goto out;
	}
	log_init("nodesim", lvl);
	if (setup_log_dir() < 0) {
		fprintf(stderr, "okg-nodesim: --log-dir %s: %s\n", opt_log_dir, strerror(errno));
		goto out;
	}
	cfg_log(options, N_OPTIONS);
	if (opt_image_map && ps_image_map_load(opt_image_map, &sim.images, err, sizeof(err)) < 0) {
		fprintf(stderr, "okg-nodesim: --image-map %s\n", err);
		goto out;
	}
	if (kcfg_load(opt_kubeconfig, &sim.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "okg-nodesim: %s\n", err);
		goto out;
	}
	if (pipe2(sim.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto out;
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of the pods' processes come back to us, and are reaped here rather than left
	 * as zombies (in a container, PID 1 may not reap). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(sim.extra_env, sizeof(sim.extra_env), "OKG_NODESIM_PID=%d", (int)getpid());
	ps_time(time(NULL), sim.started, sizeof(sim.started));

	if (kube_global_init() < 0 || kube_client_new(&sim.cfg, &ko, &sim.kc) < 0)
		goto out;
	r = kl_start(opt_node_ip, (int)opt_kubelet_port, opt_log_dir, &sim.kubelet,
		     &sim.kubelet_port);
	if (r < 0) {
		fprintf(stderr, "okg-nodesim: kubelet endpoint %s:%ld: %s\n", opt_node_ip,
			opt_kubelet_port, strerror(-r));
		goto out;
	}
	for (long i = 0; i < opt_nodes; i++) {
		if (opt_nodes == 1)
			snprintf(sim.nodes[i], sizeof(sim.nodes[i]), "%s", opt_node_name);
		else
			snprintf(sim.nodes[i], sizeof(sim.nodes[i]), "%s-%ld", opt_node_name, i);
		/* The API server may still be starting: keep trying until asked to stop. */
		while (!stop_requested && register_node((int)i) < 0)
			backoff_sleep_ms(1000);
	}
	if (inf_new(&sim.cfg, &io, &h, NULL, &inf) < 0 || inf_start(inf) < 0)
		goto out;
	LOG_INFOF("ready", "nodes=%ld kubelet_port=%d log_dir=%s", opt_nodes, sim.kubelet_port,
		  opt_log_dir);
	while (!stop_requested) {
		struct pollfd pfd = {.fd = sim.wake[0], .events = POLLIN};
		char drain[256];
		double now;

		poll(&pfd, 1, 200);
		while (read(sim.wake[0], drain, sizeof(drain)) > 0)
			;
		reap_children();
		drain_events();
		run_timers();
		reap_children();
		sync_status();
		publish_snapshot();
		now = mono_now();
		if (now >= next_heartbeat) {
			for (long i = 0; i < opt_nodes; i++)
				patch_node_status((int)i);
			next_heartbeat = now + (double)opt_heartbeat_s;
		}
	}
	LOG_INFOF("stopping", "pods=%zu", sim.npods);
	rc = 0;
out:
	inf_free(inf);
	shutdown_pods();
	kl_stop(sim.kubelet);
	kube_client_free(sim.kc);
	kcfg_free(&sim.cfg);
	ps_image_map_free(&sim.images);
	while (sim.qhead) {
		struct event *e = sim.qhead;

		sim.qhead = e->next;
		cJSON_Delete(e->obj);
		free(e);
	}
	cfg_free(options, N_OPTIONS);
	kube_global_cleanup();
	return rc;
}
