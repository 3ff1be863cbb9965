/* Replays fuzz corpora without libFuzzer: each argument is a file or a directory of files,
 * fed once to LLVMFuzzerTestOneInput. Built with the normal compiler (and sanitizers), so
 * `make test` checks every corpus input on every run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;
	int r = -1;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
			LLVMFuzzerTestOneInput(data, (size_t)n);
			r = 0;
		}
	}
	if (r < 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(data);
	fclose(f);
	return r;
}

int main(int argc, char **argv)
{
	unsigned long inputs = 0, errors = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
			errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names = NULL;
			int n = scandir(argv[i], &names, NULL, alphasort);

			for (int k = 0; k < n; k++) {
				char path[4096];

				if (names[k]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i],
						 names[k]->d_name);
					if (run_file(path) < 0)
						errors++;
					else
						inputs++;
				}
				free(names[k]);
			}
			free(names);
		} else if (run_file(argv[i]) < 0) {
			errors++;
		} else {
			inputs++;
		}
	}
	printf("replay: %lu inputs, %lu unreadable\n", inputs, errors);
	return errors || inputs == 0 ? 1 : 0;
}
