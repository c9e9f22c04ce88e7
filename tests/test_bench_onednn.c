/* bench/recur_onednn, the build-only recur that links oneDNN ($RECUR_BIN here): `bench
 * --vs-onednn` against oneDNN as it chooses and capped at AVX2 (in a child process), at fp32
 * and bf16, and `--onednn-only`. Built and run wherever meson finds oneDNN; tools/test.sh
 * requires it (-Donednn=enabled), so that CI always runs it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "cli_harness.h"

TestSuite(bench_onednn, .init = cli_setup, .fini = cli_teardown);

Test(bench_onednn, table_json_and_onednn_alone) {
  cli_run("bench", "--quick", "--cells", "lstm", "--shapes", "2,1,4,6,3", "--vs-onednn", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_assert(strstr(cli_res.out, "speedup"), "%s", cli_res.out);
  cr_assert(strstr(cli_res.out, "avx2 ISA avx2"), "the AVX2 cap did not hold: %s", cli_res.out);

  /* bf16 against oneDNN's bf16 path: each of oneDNN's configurations has a time or says why it
   * has none (oneDNN 2.x has no bf16 RNN capped at AVX2). */
  cli_run("bench", "--quick", "--cells", "rnn,lstm,gru", "--shapes", "2,1,4", "--threads", "1",
          "--precision", "fp32,bf16", "--vs-onednn", "--json", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  json_error_t jerr;
  json_t *root = json_loads(cli_res.out, 0, &jerr), *row;
  cr_assert(root, "not JSON: %s", jerr.text);
  size_t i;
  json_array_foreach(json_object_get(root, "results"), i, row) {
    for (int k = 0; k < 2; k++) {
      const char *config = k ? "avx2" : "default";
      json_t *time = json_object_get(json_object_get(row, "onednn"), config);
      json_t *why = json_object_get(json_object_get(row, "onednn_unsupported"), config);
      cr_expect(json_is_object(time) != json_is_string(why), "row %zu, %s: %s", i, config, cli_res.out);
      if (!strcmp(json_string_value(json_object_get(row, "precision")), "fp32"))
        cr_expect(json_is_object(time), "oneDNN has every fp32 cell: row %zu: %s", i, cli_res.out);
    }
  }
  json_decref(root);

  /* oneDNN alone at two precisions: a block each, and no ratios of recur times it lacks */
  cli_run("bench", "--quick", "--cells", "gru", "--shapes", "2,1,4", "--threads", "1",
          "--precision", "fp32,bf16", "--onednn-only", NULL);
  cr_assert_eq(cli_res.code, 0, "stderr: %s", cli_res.err);
  cr_expect(strstr(cli_res.out, "\noneDNN at fp32\n") && strstr(cli_res.out, "\noneDNN at bf16\n"),
            "%s", cli_res.out);
  cr_expect_null(strstr(cli_res.out, "time ratios"), "%s", cli_res.out);
}
