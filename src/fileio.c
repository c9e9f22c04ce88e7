/* Whole-file input and output: reading a file into memory, and atomic replacement by rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static recur_status io_error(const char *what, const char *path, int err) {
  return recur_fail(RECUR_ERR_IO, "%s%s: %s", what, path, strerror(err));
}

recur_status recur_read_file(const char *path, recur_file_bytes *out) {
  *out = (recur_file_bytes){0};
  /* O_NONBLOCK so that opening a FIFO fails below instead of waiting for a writer. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return io_error("cannot open ", path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return io_error("cannot stat ", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    if (S_ISDIR(st.st_mode))
      return io_error("cannot read ", path, EISDIR);
    return recur_fail(RECUR_ERR_IO, "cannot read %s: not a regular file", path);
  }
  if ((uintmax_t)st.st_size > SIZE_MAX) {
    close(fd);
    return io_error("cannot read ", path, EFBIG);
  }
  size_t size = (size_t)st.st_size, got = 0;
  recur_status status = size ? recur_check_memory(path, size) : RECUR_OK;
  uint8_t *data = size && !status ? malloc(size) : NULL;
  if (size && !status && !data)
    status = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "cannot read %s: no memory for %zu bytes", path,
                        size);
  while (!status && got < size) {
    ssize_t n = read(fd, data + got, size - got);
    if (n > 0)
      got += (size_t)n;
    else if (n == 0)
      break; /* the file shrank meanwhile: what was read is the file */
    else if (errno != EINTR)
      status = io_error("cannot read ", path, errno);
  }
  close(fd);
  if (status) {
    free(data);
    return status;
  }
  out->data = data;
  out->size = got;
  return RECUR_OK;
}

void recur_free_file(recur_file_bytes *file) {
  if (!file)
    return;
  free(file->data);
  *file = (recur_file_bytes){0};
}

/* Creates "<path>.tmp.<pid>.<n>" with O_EXCL and mode 0666, so the kernel applies the umask
 * itself (mkstemp's 0600 would need umask(), which is not thread-safe, to widen). On success
 * *tmp_out is the malloc'd name. */
static int create_temp(const char *path, char **tmp_out) {
  static atomic_uint counter;
  size_t cap = strlen(path) + 64;
  char *tmp = malloc(cap);
  if (!tmp) {
    errno = ENOMEM;
    return -1;
  }
  /* A name left by a crashed process with the same pid is skipped by O_EXCL. */
  for (int attempt = 0; attempt < 100; attempt++) {
    unsigned n = atomic_fetch_add(&counter, 1);
    snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(), n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_out = tmp;
      return fd;
    }
    if (errno != EEXIST)
      break;
  }
  int err = errno;
  free(tmp);
  errno = err;
  return -1;
}

/* Returns 0, or -1 with errno set. */
static int write_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0) { /* no progress and no error: give up rather than spin */
      errno = EIO;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

recur_status recur_write_file_atomic(const char *path, const void *head, size_t head_len,
                                     const void *body, size_t body_len) {
  char *tmp = NULL;
  int fd = create_temp(path, &tmp);
  if (fd < 0)
    return io_error("cannot create a temporary file for ", path, errno);

  const char *what = "cannot write ";
  int ok = write_all(fd, head, head_len) == 0 && write_all(fd, body, body_len) == 0 &&
           fsync(fd) == 0;
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    err = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    err = errno;
    what = "cannot replace ";
  }
  if (!ok)
    unlink(tmp);
  free(tmp);
  return ok ? RECUR_OK : io_error(what, path, err);
}
