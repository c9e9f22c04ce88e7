/* The `recur` subcommands. Each prints its own results and errors and returns the process exit
 * status (see main.c for the contract). */
#ifndef RECUR_COMMANDS_H
#define RECUR_COMMANDS_H

#include "cli.h"
#include "recur.h"

/* Exit statuses: 0 success, 1 any failure other than a usage error, 2 usage error. */
enum { RECUR_EXIT_OK = 0, RECUR_EXIT_FAILURE = 1, RECUR_EXIT_USAGE = 2 };

/* Prints "recur: SUBJECT: message" and returns RECUR_EXIT_FAILURE. */
int recur_cmd_fail(const char *subject, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A failed library call about subject: the library's detail (recur_last_error), else the
 * status's description; a detail that already names the subject is not prefixed again. */
int recur_cmd_fail_status(const char *subject, recur_status status);

int recur_cmd_run(const struct recur_cli_opts *opts);
int recur_cmd_info(const struct recur_cli_opts *opts);
int recur_cmd_bench(const struct recur_cli_opts *opts);
int recur_cmd_tune(const struct recur_cli_opts *opts);

#endif
