/* `recur info`: what this build and this machine offer. */
#include <omp.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "recur.h"

/* __builtin_cpu_supports needs a string literal, hence a macro rather than a table. */
#define PRINT_IF_SUPPORTED(feature, count)  \
  do {                                      \
    if (__builtin_cpu_supports(feature)) {  \
      printf(" %s", feature);               \
      (count)++;                            \
    }                                       \
  } while (0)

static void print_cpu_features(void) {
  int count = 0;
  printf("cpu features:");
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  PRINT_IF_SUPPORTED("sse4.2", count);
  PRINT_IF_SUPPORTED("avx", count);
  PRINT_IF_SUPPORTED("avx2", count);
  PRINT_IF_SUPPORTED("fma", count);
  PRINT_IF_SUPPORTED("avx512f", count);
  PRINT_IF_SUPPORTED("avx512bw", count);
  PRINT_IF_SUPPORTED("avx512vl", count);
  PRINT_IF_SUPPORTED("avx512dq", count);
#elif defined(__aarch64__)
  printf(" neon"); /* mandatory on AArch64 */
  count++;
#endif
  printf(count ? "\n" : " none detected\n");
}

/* Lists the kernel tables this CPU and build can run by forcing each in turn, then forces the
 * one in use again. */
static int print_kernels(void) {
  char in_use[64];
  snprintf(in_use, sizeof in_use, "%s", recur_isa_name());
  printf("kernels: %s (available:", in_use);
  for (const char *const *name = recur_cli_isa_names; *name; name++) {
    if (recur_isa_force(*name) == RECUR_OK) printf(" %s", *name);
  }
  printf(")\n");
  recur_status status = recur_isa_force(in_use);
  if (status != RECUR_OK) {
    fprintf(stderr, "recur: cannot restore kernels '%s': %s\n", in_use,
            recur_status_string(status));
    return RECUR_EXIT_FAILURE;
  }
  return RECUR_EXIT_OK;
}

int recur_cmd_info(void) {
  printf("recur %s\n", recur_version_string());
  print_cpu_features();
  int status = print_kernels();
  printf("threads: %d (OpenMP's default; set OMP_NUM_THREADS or pass --threads to change)\n",
         omp_get_max_threads());
  printf("tune file: none (tuning not yet implemented)\n");
  return status;
}
