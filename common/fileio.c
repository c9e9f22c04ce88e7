/* Whole-file input and output: reading a file into memory, and replacing files by rename, all
 * of a set or none. */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Leaves errno = err, so that a caller can tell which system error it was (recur_model_read). */
static recur_status io_error(const char *what, const char *path, int err) {
  recur_status status = recur_fail(RECUR_ERR_IO, "%s%s: %s", what, path, strerror(err));
  errno = err;
  return status;
}

recur_status recur_read_file(const char *path, recur_file_bytes *out) {
  return recur_read_file_at_most(path, SIZE_MAX, out);
}

recur_status recur_read_file_at_most(const char *path, size_t max, recur_file_bytes *out) {
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
    recur_status status = recur_fail(RECUR_ERR_IO, "cannot read %s: not a regular file", path);
    errno = 0; /* no system call failed */
    return status;
  }
  if ((uintmax_t)st.st_size > SIZE_MAX) {
    close(fd);
    return io_error("cannot read ", path, EFBIG);
  }
  if ((uintmax_t)st.st_size > max) {
    close(fd);
    return recur_fail(RECUR_ERR_BAD_FILE, "cannot read %s: %jd bytes, over the limit of %zu",
                      path, (intmax_t)st.st_size, max);
  }
  /* At most the size seen here is read, so a file growing meanwhile cannot pass max. */
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
  int err = errno;
  close(fd);
  if (status) {
    free(data);
    errno = err;
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

/* ---- replacing files ------------------------------------------------------------------ */

/* What follows path's last '/'. */
static const char *last_component(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The folder part of path, malloc'd: "." for a bare name, "/" for "/name"; NULL when out of
 * memory. */
static char *folder_of(const char *path) {
  size_t len = (size_t)(last_component(path) - path);
  if (len == 0)
    return strdup(".");
  return strndup(path, len > 1 ? len - 1 : 1);
}

int recur_file_identify(const char *path, recur_file_id *id) {
  struct stat st;
  if (stat(path, &st) != 0)
    return 0;
  *id = (recur_file_id){.dev = st.st_dev, .ino = st.st_ino};
  return 1;
}

int recur_same_file(const recur_file_id *a, const recur_file_id *b) {
  if (a->dev != b->dev || a->ino != b->ino || !a->name != !b->name)
    return 0;
  return !a->name || strcmp(a->name, b->name) == 0;
}

/* path's folder can take a new file: it exists, is a folder, and this process may create and
 * rename files in it (a folder it may not write to, or on a read-only file system, cannot). */
static recur_status check_folder(const char *path, const char *name, struct stat *st) {
  char *folder = folder_of(path);
  if (!folder)
    return io_error("cannot write ", path, ENOMEM);
  int err = 0;
  if (stat(folder, st) != 0)
    err = errno;
  else if (!S_ISDIR(st->st_mode))
    err = ENOTDIR;
  else if (!*name) /* the path is "" */
    err = ENOENT;
  else if (faccessat(AT_FDCWD, folder, W_OK | X_OK, AT_EACCESS) != 0)
    err = errno;
  free(folder);
  return err ? io_error("cannot write ", path, err) : RECUR_OK;
}

recur_status recur_check_output(const char *path, recur_file_id *id) {
  struct stat st, folder;
  const char *name = last_component(path);
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return io_error("cannot replace ", path, EISDIR);
    if (!S_ISREG(st.st_mode))
      return recur_fail(RECUR_ERR_IO, "cannot replace %s: not a regular file", path);
    *id = (recur_file_id){.dev = st.st_dev, .ino = st.st_ino};
    return check_folder(path, name, &folder);
  }
  if (errno != ENOENT)
    return io_error("cannot write ", path, errno);
  recur_status status = check_folder(path, name, &folder);
  if (status == RECUR_OK)
    *id = (recur_file_id){.dev = folder.st_dev, .ino = folder.st_ino, .name = name};
  return status;
}

/* The longest name path's folder takes. */
static long folder_name_max(const char *path) {
  char *folder = folder_of(path);
  long max = folder ? pathconf(folder, _PC_NAME_MAX) : -1;
  free(folder);
  return max > 0 ? max : NAME_MAX;
}

/* "<name>.tmp.<pid>.<n>" in path's folder, malloc'd, with name cut short (at the start of a
 * UTF-8 character) where the whole would be longer than name_max. */
static char *temp_name(const char *path, long name_max, unsigned n) {
  char suffix[64];
  size_t suffix_len = (size_t)snprintf(suffix, sizeof suffix, ".tmp.%ld.%u", (long)getpid(), n);
  const char *name = last_component(path);
  size_t keep = strlen(name);
  size_t room = (size_t)name_max > suffix_len ? (size_t)name_max - suffix_len : 0;
  if (keep > room) {
    keep = room;
    while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
      keep--;
  }
  size_t prefix = (size_t)(name - path) + keep;
  char *tmp = malloc(prefix + suffix_len + 1);
  if (tmp) {
    memcpy(tmp, path, prefix);
    memcpy(tmp + prefix, suffix, suffix_len + 1);
  }
  return tmp;
}

/* Creates path's temporary file with O_EXCL and mode 0666, so the kernel applies the umask
 * itself (mkstemp's 0600 would need umask(), which is not thread-safe, to widen). On success
 * *tmp_out is the malloc'd name; else -1 with errno set. */
static int create_temp(const char *path, char **tmp_out) {
  static atomic_uint counter;
  long name_max = folder_name_max(path);
  /* A name left by a crashed process with the same pid is skipped by O_EXCL. */
  for (int attempt = 0; attempt < 100; attempt++) {
    char *tmp = temp_name(path, name_max, atomic_fetch_add(&counter, 1));
    if (!tmp) {
      errno = ENOMEM;
      return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_out = tmp;
      return fd;
    }
    int err = errno;
    free(tmp);
    errno = err;
    if (err != EEXIST)
      break;
  }
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

/* Where a staged file is: its temporary holds the new bytes (STAGED); it is at its path and
 * the old file under the temporary's name (EXCHANGED); it is at its path, where there was no
 * file (CREATED); or it is in place for good (DONE). */
enum { STAGED, EXCHANGED, CREATED, DONE };

recur_status recur_stage_file(recur_staging *s, const char *path, const void *head,
                              size_t head_len, const void *body, size_t body_len) {
  if (s->n == RECUR_STAGED_MAX)
    return recur_fail(RECUR_ERR_INTERNAL, "cannot write %s: more than %d files at once", path,
                      RECUR_STAGED_MAX);
  recur_file_id id;
  recur_status status = recur_check_output(path, &id);
  if (status)
    return status;
  recur_staged_file *f = &s->files[s->n];
  int fd = create_temp(path, &f->tmp);
  if (fd < 0)
    return io_error("cannot create a temporary file for ", path, errno);
  f->path = path;
  f->state = STAGED;
  s->n++;
  int ok = write_all(fd, head, head_len) == 0 && write_all(fd, body, body_len) == 0 &&
           fsync(fd) == 0;
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    err = errno;
  }
  return ok ? RECUR_OK : io_error("cannot write ", path, err);
}

/* Moves f's temporary to its path. An exchange keeps the old file, under the temporary's name,
 * and a path with no file gets one without replacing any that appeared meanwhile: both can be
 * undone. Another writer can create or remove the file between the two tries: then try again
 * (a few times; the last writer wins, as with rename). A file system with neither (EINVAL)
 * gets a plain rename, which cannot be undone. */
static int put_in_place(recur_staged_file *f) {
  for (int attempt = 0; attempt < 8; attempt++) {
    if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_EXCHANGE) == 0) {
      f->state = EXCHANGED;
      return 0;
    }
    if (errno != ENOENT)
      break;
    if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_NOREPLACE) == 0) {
      f->state = CREATED;
      return 0;
    }
    if (errno != EEXIST)
      break;
  }
  if ((errno != EINVAL && errno != ENOSYS) || rename(f->tmp, f->path) != 0)
    return -1;
  f->state = DONE;
  return 0;
}

/* Undoes put_in_place where it can: the new file goes back under the temporary's name. A file
 * that cannot go back keeps its state, so that the old one is never removed. */
static void take_back(recur_staged_file *f) {
  int back = 0;
  if (f->state == EXCHANGED)
    back = renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_EXCHANGE) == 0;
  else if (f->state == CREATED)
    back = rename(f->path, f->tmp) == 0;
  if (back)
    f->state = STAGED;
}

recur_status recur_commit_staged(recur_staging *s) {
  for (int i = 0; i < s->n; i++) {
    if (put_in_place(&s->files[i]) == 0)
      continue;
    int err = errno;
    s->failed = s->files[i].path;
    while (i-- > 0)
      take_back(&s->files[i]);
    return io_error("cannot replace ", s->failed, err);
  }
  for (int i = 0; i < s->n; i++) {
    recur_staged_file *f = &s->files[i];
    if (f->state == EXCHANGED)
      unlink(f->tmp); /* the old file */
    f->state = DONE;
  }
  return RECUR_OK;
}

void recur_discard_staged(recur_staging *s) {
  for (int i = 0; i < s->n; i++) {
    recur_staged_file *f = &s->files[i];
    if (f->state == STAGED)
      unlink(f->tmp);
    free(f->tmp);
  }
  *s = (recur_staging){0};
}

recur_status recur_write_file_atomic(const char *path, const void *head, size_t head_len,
                                     const void *body, size_t body_len) {
  recur_staging s = {0};
  recur_status status = recur_stage_file(&s, path, head, head_len, body, body_len);
  if (status == RECUR_OK)
    status = recur_commit_staged(&s);
  recur_discard_staged(&s);
  return status;
}
