/* The `recur` command line: parses argv, dispatches to a command, and owns the exit-status
 * contract: 0 success; 2 usage error (one line plus a hint on stderr); 1 any other error (one
 * line on stderr naming the file and the problem). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "recur.h"
#include "recur_tool.h"

/* A write error on stdout (a full disk, a closed pipe) fails an otherwise successful run; a run
 * that already failed has printed its one line. */
static int finish_stdout(int status) {
  int failed = fflush(stdout) != 0 || ferror(stdout);
  if (failed && status == RECUR_EXIT_OK) {
    fprintf(stderr, "recur: stdout: write error\n");
    return RECUR_EXIT_FAILURE;
  }
  return status;
}

int main(int argc, char **argv) {
  struct recur_cli_opts opts;
  char err[256];
  if (recur_tool_api_version() != RECUR_TOOL_API_VERSION) { /* librecur from another version */
    fprintf(stderr, "recur: librecur %s has tool API %d, this recur needs %d: reinstall both\n",
            recur_version_string(), recur_tool_api_version(), RECUR_TOOL_API_VERSION);
    return RECUR_EXIT_FAILURE;
  }
  if (recur_cli_parse(argc, argv, &opts, err, sizeof err) != RECUR_CLI_OK) {
    fprintf(stderr, "recur: %s\n%s\n", err, recur_cli_hint(opts.command));
    return RECUR_EXIT_USAGE;
  }
  if (opts.help) {
    fputs(recur_cli_usage(opts.command), stdout);
    return finish_stdout(RECUR_EXIT_OK);
  }
  switch (opts.command) {
    case RECUR_CLI_RUN: return finish_stdout(recur_cmd_run(&opts));
    case RECUR_CLI_INFO: return finish_stdout(recur_cmd_info(&opts));
    case RECUR_CLI_BENCH: return finish_stdout(recur_cmd_bench(&opts));
    case RECUR_CLI_TUNE: return finish_stdout(recur_cmd_tune(&opts));
    case RECUR_CLI_VERSION:
      printf("recur %s\n", recur_version_string());
      return finish_stdout(RECUR_EXIT_OK);
    default:
      /* recur_cli_parse returns RECUR_CLI_OK only with a command or help set. */
      fprintf(stderr, "recur: internal error: no command\n");
      return RECUR_EXIT_FAILURE;
  }
}
