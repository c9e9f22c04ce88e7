/* A main() for the fuzz targets without libFuzzer: runs the target once on every file named on
 * the command line or found (sorted, not recursively) in a folder named there. Built with the
 * sanitizers, it replays the corpus and the crash regressions as a test in every build. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

/* Reads a whole file into an allocation of exactly its size (one byte for an empty file), so
 * that the sanitizers catch a read past the input's end. */
static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0)
    fuzz_fail("cannot read %s", path);
  long n = ftell(f);
  uint8_t *buf = n >= 0 ? malloc(n ? (size_t)n : 1) : NULL;
  if (!buf || fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, (size_t)n, f) != (size_t)n)
    fuzz_fail("cannot read %s", path);
  fclose(f);
  *size = (size_t)n;
  return buf;
}

static size_t run_file(const char *path) {
  size_t size;
  uint8_t *data = read_file(path, &size);
  LLVMFuzzerTestOneInput(data, size);
  free(data);
  return 1;
}

static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

static size_t run_folder(const char *dir) {
  struct dirent **entries;
  int n = scandir(dir, &entries, not_hidden, alphasort);
  if (n < 0)
    fuzz_fail("cannot list %s", dir);
  size_t count = 0;
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
    count += run_file(path);
    free(entries[i]);
  }
  free(entries);
  return count;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
    return 2;
  }
  size_t count = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0)
      fuzz_fail("cannot stat %s", argv[i]);
    count += S_ISDIR(st.st_mode) ? run_folder(argv[i]) : run_file(argv[i]);
  }
  printf("%zu inputs replayed\n", count);
  return count > 0 ? 0 : 1;
}
