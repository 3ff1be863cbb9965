/* cli_args: the okg command line into struct cli_opts. Pure.
 *
 *   okg get gs  [NAME...] [-n NS] [--gss NAME[,NAME]] [selectors] [-o table|json]
 *   okg get gss [NAME...] [-n NS] [-o table|json]
 *   okg update  -n NS --gss NAME[,NAME] | --all-sets  [selectors] setters [--dry-run] ...
 *
 * Flags take "--flag=value" or "--flag value"; Go-style single-dash long flags ("-gss-name=x")
 * are accepted too, so GameServers-Updater's argument lists work unchanged. */
#ifndef OKG_CLI_ARGS_H
#define OKG_CLI_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "cli/cli.h"

/* Parses argv[1..argc) into o (initialised here; free with cli_opts_free() on every path).
 * prog is borrowed into o->prog. Returns 0, or CLI_EXIT_USAGE with one line in err naming the
 * flag or argument at fault. */
int cli_parse_args(int argc, char **argv, const char *prog, struct cli_opts *o, char *err,
		   size_t errlen);

void cli_opts_init(struct cli_opts *o);
void cli_opts_free(struct cli_opts *o); /* NULL-safe */

/* The usage text of a command (CLI_CMD_NONE / HELP: every command). */
void cli_usage(FILE *f, const char *prog, enum cli_cmd cmd);

#endif
