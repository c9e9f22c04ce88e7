/* The tune file: what `recur tune` measured on this CPU, read once by the library (tunefile.c).
 *
 * Text, one setting per line: a header of key=value lines (recur's version, the CPU's identity)
 * then one `entry` line per tuned case of space-separated key=value pairs, and last
 * `entries=N` (so that a file cut at the end of a line is caught too). An entry is keyed by
 * (cell, isa, precision, dirs, I, H, P, threads, B) and holds:
 *  - the packing (nv, nv_proj, kc, kc_input; tuning.h), fixed when a network is packed; every
 *    entry of one network shape (cell, isa, precision, dirs, I, H, P) holds the same one;
 *  - per-call choices (mr, chunk, mc, split, bparts, groups, use): those of the entry whose B is
 *    nearest to the call's (see recur_tune_find_call).
 * A file that is malformed anywhere, from another CPU or another recur version is ignored as a
 * whole: tuning never applies half a file, or a file measured elsewhere. */
#ifndef RECUR_TUNEFILE_H
#define RECUR_TUNEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "recur.h"
#include "tuning.h"

#define RECUR_TUNE_ISA_LEN 16
/* Far more than any tuning run writes; keeps the duplicate-key check (quadratic) instant. */
#define RECUR_TUNE_MAX_ENTRIES 4096
#define RECUR_TUNE_MAX_BYTES (1 << 20)
#define RECUR_TUNE_MAX_THREADS RECUR_MAX_THREADS

typedef struct recur_tune_key {
  recur_cell cell;
  char isa[RECUR_TUNE_ISA_LEN]; /* the kernel table's name */
  recur_precision precision;
  int dirs;                     /* 1 or 2 */
  int64_t I, H, P;              /* input, hidden, projection (0: none) */
  int threads;                  /* the thread count the call asks for */
  int64_t B;                    /* the batch it was measured at */
} recur_tune_key;

typedef struct recur_tune_entry {
  recur_tune_key key;
  recur_tune_params p;
  double default_ms, tuned_ms; /* what the tuner measured (informative) */
} recur_tune_entry;

typedef struct recur_tune_file {
  char version[32];
  recur_cpu_id cpu;
  recur_tune_entry *entries;
  size_t n, cap;
} recur_tune_file;

/* Parses a whole file. On a malformed one returns RECUR_ERR_BAD_FILE with "line N: why" in
 * why (and *out empty). Says nothing about whose CPU it is: see recur_tune_check_origin. */
recur_status recur_tune_parse(const char *text, size_t len, recur_tune_file *out, char *why,
                              size_t why_len);

/* 1 if f was measured on this CPU (id) with this recur version; else 0 with the reason. */
int recur_tune_check_origin(const recur_tune_file *f, const recur_cpu_id *id, char *why,
                            size_t why_len);

/* Reads the tune file at path for this CPU (id) and recur version. RECUR_OK with *out filled;
 * else *out is empty, why says what is wrong, and the status is RECUR_ERR_BAD_FILE (malformed:
 * "malformed: line N: ...", or measured on another CPU or version), or the read's own status
 * (RECUR_ERR_IO with *exists = 0 and "no such file" when there is none). */
recur_status recur_tune_read(const char *path, const recur_cpu_id *id, recur_tune_file *out,
                             int *exists, char *why, size_t why_len);

/* The file's text (malloc'd, NUL-terminated); NULL when out of memory. */
char *recur_tune_format(const recur_tune_file *f, size_t *len);

/* An empty file for this CPU and recur version. */
void recur_tune_init(recur_tune_file *f, const recur_cpu_id *id);

/* Adds e, replacing an entry with the same key. Entries of e's network shape with other
 * network-level choices are dropped: their per-call choices were measured on another packing.
 * RECUR_ERR_OUT_OF_MEMORY or RECUR_ERR_LIMIT on failure. */
recur_status recur_tune_put(recur_tune_file *f, const recur_tune_entry *e);


void recur_tune_file_free(recur_tune_file *f);

/* The network-level entry of a network shape: k's cell, isa, precision, dirs, I, H and P match (threads
 * and B are ignored): the one with the smallest B, then the fewest threads. NULL if none. */
const recur_tune_entry *recur_tune_find_net(const recur_tune_file *f, const recur_tune_key *k);

/* The per-call entry: all of k but B match, and k->B lies within [B/2, 2B] of the entry's B;
 * the nearest B on a log scale wins, a tie goes to the smaller B. NULL if none. */
const recur_tune_entry *recur_tune_find_call(const recur_tune_file *f, const recur_tune_key *k);

/* Orders f's entries by network shape, then threads and B, so that each shape's entries are
 * one run (recur_tune_net_entries). */
void recur_tune_sort(recur_tune_file *f);

/* The entries of k's network shape (cell, isa, precision, dirs, I, H, P) in a sorted f, as a file that
 * borrows f's entries (never freed; empty if none or f is NULL). A network keeps it, so that
 * a call searches its own few entries, not the whole file. */
recur_tune_file recur_tune_net_entries(const recur_tune_file *f, const recur_tune_key *k);

/* The file the library uses: read once, at first use, from $RECUR_TUNE_FILE, else
 * $XDG_CONFIG_HOME/recur/tune.conf, else $HOME/.config/recur/tune.conf. NULL when there is no
 * usable file (recur_tune_status says why; RECUR_VERBOSE=1 prints it). */
const recur_tune_file *recur_tune_active(void);

/* From now on this process applies no tune file (the tuner measures from the defaults). */
void recur_tune_ignore(void);

/* The default location (the chain above), or 0 if none is known (no HOME). */
int recur_tune_default_path(char *buf, size_t len);

#endif
