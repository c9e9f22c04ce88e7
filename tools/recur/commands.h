/* The `recur` subcommands. Each prints its own results and errors and returns the process exit
 * status (see main.c for the contract). */
#ifndef RECUR_COMMANDS_H
#define RECUR_COMMANDS_H

#include "cli.h"

/* Exit statuses: 0 success, 1 any failure other than a usage error, 2 usage error. */
enum { RECUR_EXIT_OK = 0, RECUR_EXIT_FAILURE = 1, RECUR_EXIT_USAGE = 2 };

int recur_cmd_run(const struct recur_cli_opts *opts);
int recur_cmd_info(const struct recur_cli_opts *opts);
int recur_cmd_bench(const struct recur_cli_opts *opts);

#endif
