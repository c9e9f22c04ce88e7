/* recur: PyTorch-exact RNN, LSTM and GRU inference on CPUs.
 *
 * The whole public API. Conventions:
 *  - every call that can fail returns a recur_status (0 = RECUR_OK, errors negative and pinned:
 *    a value is never renumbered or reused);
 *  - results come back through out-parameters; on error an out-parameter handle is set to NULL;
 *  - recur_last_error() gives a human-readable detail for the calling thread's last failure;
 *  - the library never prints, aborts or exits (stderr only under RECUR_VERBOSE=1);
 *  - free functions accept NULL.
 *
 * Thread safety: a recur_net is immutable after creation; any number of threads may call
 * recur_forward() on the same network at once, each with its own buffers (and its own
 * recur_workspace, if any). A recur_stream or a recur_workspace is used by one thread at a
 * time; many streams may share one network. Creating and freeing networks is thread-safe as
 * long as a network is not freed while in use. Every other
 * call is thread-safe too: recur_last_error() is per thread, and the process-wide settings
 * (recur_set_memory_limit, recur_set_num_threads, recur_isa_force) are atomic.
 *
 * Buffers: recur keeps no pointer to a caller's buffer after a call returns (weights, file
 * bytes and arrays are copied). What recur allocates for the caller (a recur_net, a
 * recur_array) is freed with its free function.
 */
#ifndef RECUR_H
#define RECUR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RECUR_VERSION_MAJOR 0
#define RECUR_VERSION_MINOR 1
#define RECUR_VERSION_PATCH 0
#define RECUR_VERSION_NUMBER \
  (RECUR_VERSION_MAJOR * 10000 + RECUR_VERSION_MINOR * 100 + RECUR_VERSION_PATCH)
#define RECUR_STR_(x) #x
#define RECUR_STR(x) RECUR_STR_(x)
#define RECUR_VERSION_STRING \
  RECUR_STR(RECUR_VERSION_MAJOR) "." RECUR_STR(RECUR_VERSION_MINOR) "." RECUR_STR(RECUR_VERSION_PATCH)

#if defined(RECUR_BUILDING) && defined(__GNUC__)
#define RECUR_API __attribute__((visibility("default")))
#else
#define RECUR_API
#endif

/* Runtime version: RECUR_VERSION_NUMBER and RECUR_VERSION_STRING of the loaded library. */
RECUR_API unsigned recur_version_number(void);
RECUR_API const char *recur_version_string(void);

/* Status codes. Pinned: never renumbered, never reused. */
typedef enum recur_status {
  RECUR_OK = 0,
  RECUR_ERR_NULL_POINTER = -1,      /* a required pointer argument is NULL */
  RECUR_ERR_INVALID_SIZE = -2,      /* a size is <= 0, too large, or a product overflows */
  RECUR_ERR_SHAPE_MISMATCH = -3,    /* T, B, I or a tensor's shape does not fit the network */
  RECUR_ERR_INVALID_ARGUMENT = -4,  /* an enum or flag out of range, aliasing buffers, ... */
  RECUR_ERR_BAD_LENGTHS = -5,       /* a sequence length outside 1..T */
  RECUR_ERR_OUT_OF_MEMORY = -6,
  RECUR_ERR_IO = -7,                /* a file could not be opened, read or written */
  RECUR_ERR_BAD_FILE = -8,          /* a file is truncated or malformed */
  RECUR_ERR_UNSUPPORTED = -9,       /* well-formed but not supported (dtype, Fortran order) */
  RECUR_ERR_MISSING_TENSOR = -10,   /* a weight the network needs is absent */
  RECUR_ERR_UNEXPECTED_TENSOR = -11,/* a weight the network does not use is present */
  RECUR_ERR_LIMIT = -12,            /* a resource cap would be exceeded */
  RECUR_ERR_ISA_UNAVAILABLE = -13,  /* the requested instruction set is not on this CPU/build */
  RECUR_ERR_INTERNAL = -14
} recur_status;

/* A static English name for a status ("RECUR_ERR_BAD_FILE: malformed or truncated file"). */
RECUR_API const char *recur_status_string(recur_status status);

/* Detail of the calling thread's last failed call ("weight_hh_l1: shape (64, 16), expected
 * (64, 17)"); "" if no call has failed on this thread. Valid until the next recur call. */
RECUR_API const char *recur_last_error(void);

/* ---------------------------------------------------------------------------------------- */
/* Networks                                                                                  */

typedef enum recur_cell {
  RECUR_CELL_RNN_TANH = 0,
  RECUR_CELL_RNN_RELU = 1,
  RECUR_CELL_LSTM = 2,
  RECUR_CELL_GRU = 3
} recur_cell;

/* "rnn_tanh", "rnn_relu", "lstm", "gru"; NULL for an unknown value. */
RECUR_API const char *recur_cell_name(recur_cell cell);

/* What PyTorch's constructor takes. proj_size is LSTM only (0 = no projection). Fields are only
 * ever appended. */
typedef struct recur_desc {
  recur_cell cell;
  int64_t input_size;
  int64_t hidden_size;
  int64_t num_layers;
  int bidirectional; /* 0 or 1 */
  int64_t proj_size; /* 0, or 1..hidden_size-1 for LSTM */
  int bias;          /* 1: bias_ih/bias_hh tensors are given; 0: bias=False */
  int batch_first;   /* 0 or 1: the layout forward calls take by default (recur_forward_args):
                        1: x and y are (B, T, ...), PyTorch's batch_first=True */
} recur_desc;

/* One weight in PyTorch's layout (row-major fp32), named as in its state_dict:
 * weight_ih_l{k}[_reverse] (G*H, I_k), weight_hh_l{k}[_reverse] (G*H, H_out),
 * bias_ih_l{k}[_reverse] and bias_hh_l{k}[_reverse] (G*H), weight_hr_l{k}[_reverse] (P, H),
 * where G = 1 (RNN), 3 (GRU), 4 (LSTM), H_out = P if proj_size else H, and
 * I_0 = input_size, I_k = D*H_out for k > 0 (D = 2 if bidirectional). */
typedef struct recur_tensor {
  const char *name;
  const float *data;
  int ndim;
  int64_t shape[2];
} recur_tensor;

typedef struct recur_net recur_net;

/* Builds a network from a description and exactly the tensors it needs (any order). Every
 * tensor is checked; a missing, extra or misshaped one is an error naming it. The weights are
 * copied and repacked: the caller's arrays may be freed afterwards. */
RECUR_API recur_status recur_net_create(recur_net **out, const recur_desc *desc,
                                        const recur_tensor *tensors, size_t n_tensors);

/* Loads a safetensors model file (a PyTorch state_dict, optional metadata "cell" and
 * "batch_first": "0" or "1", what tools/export_torch.py writes, the network's default layout;
 * absent: 0; any other value is RECUR_ERR_BAD_FILE).
 * prefix selects one module's tensors in a file holding several ("encoder.rnn" or
 * "encoder.rnn."); NULL or "" picks the only RNN module in the file. Tensors may be F32, F16,
 * BF16 or F64. */
RECUR_API recur_status recur_net_load(recur_net **out, const char *path, const char *prefix);

/* The same from bytes in memory (the caller keeps ownership of buf, and may free it as soon as
 * the call returns). */
RECUR_API recur_status recur_net_load_memory(recur_net **out, const void *buf, size_t len,
                                             const char *prefix);

RECUR_API void recur_net_free(recur_net *net);

/* The network's description (as given, or as inferred from a file). */
RECUR_API recur_status recur_net_describe(const recur_net *net, recur_desc *out);

/* Precision modes: how a network computes its dot products. Pinned values.
 *  FP32: everything in fp32 (PyTorch's results within 1e-5 + 1e-5 |want|).
 *  BF16: W_ih, W_hh and W_hr are rounded to bf16 once, when the network is created (to
 *        nearest, ties to even; NaN stays NaN, Inf stays Inf, a value past the largest bf16
 *        becomes Inf). x, h_{t-1} and an LSTM projection's input o*tanh(c) are rounded to bf16
 *        where they enter a dot product; the products (exact in fp32) are summed in fp32.
 *        Biases, gates, the cell state c and every output stay fp32. Half the weight memory
 *        traffic on CPUs with bf16 dot products; results differ from fp32 by bf16 rounding
 *        (docs/precision.md states the measured error). Bitwise the same for any thread count,
 *        as fp32.
 *  INT8: dynamic quantization, no calibration data. W_ih, W_hh and W_hr are quantized once,
 *        when the network is created, to int8 with one scale per output row: the row's
 *        largest |w| / 127, each weight round(w * 127 / largest) (to nearest, ties to even).
 *        x, h_{t-1} and o*tanh(c) are quantized the same way where they enter a product, with
 *        one scale per batch row and step. The products are summed exactly in int32 and the
 *        sum times the two scales (in fp32) is the dot product. Biases, gates, the cell state
 *        c and every output stay fp32. A row whose largest |value| is below 2^-100 quantizes
 *        to zeros; a row holding NaN or Inf makes every product it enters NaN. Layer inputs
 *        are limited to 65536 features (I, D*H_out, H), so that no int32 sum can overflow.
 *        A quarter of fp32's weight memory; results differ from fp32 by the quantization
 *        (docs/precision.md states the measured error). Every kernel table gives the same
 *        int32 sums; bitwise the same for any thread count, as fp32. */
typedef enum recur_precision {
  RECUR_PRECISION_FP32 = 0,
  RECUR_PRECISION_BF16 = 1,
  RECUR_PRECISION_INT8 = 2
} recur_precision;

/* The name of a precision ("fp32", "bf16"); NULL for an unknown value. The values run from 0
 * without a gap, so a loop until NULL lists them all. */
RECUR_API const char *recur_precision_name(recur_precision precision);

/* The precision whose name is the len characters at name (no NUL needed), into *out: RECUR_OK,
 * or RECUR_ERR_INVALID_ARGUMENT with a detail naming every precision. The command line, the
 * Python and Fortran bindings and the tune file all read precisions through this one lookup. */
RECUR_API recur_status recur_precision_from_name(const char *name, size_t len,
                                                 recur_precision *out);

/* Options of a network's creation; NULL options are the defaults (fp32). Zero-initialise the
 * struct before filling it, so fields added later default to 0. */
typedef struct recur_net_options {
  recur_precision precision;
} recur_net_options;

/* recur_net_create, recur_net_load and recur_net_load_memory with options (NULL: the
 * defaults, which is what the functions without _ex do). A precision that is not a
 * recur_precision value is RECUR_ERR_INVALID_ARGUMENT. A file's tensors stored as BF16 load as
 * fp32 (exactly) unless the options ask for bf16. */
RECUR_API recur_status recur_net_create_ex(recur_net **out, const recur_desc *desc,
                                           const recur_tensor *tensors, size_t n_tensors,
                                           const recur_net_options *options);
RECUR_API recur_status recur_net_load_ex(recur_net **out, const char *path, const char *prefix,
                                         const recur_net_options *options);
RECUR_API recur_status recur_net_load_memory_ex(recur_net **out, const void *buf, size_t len,
                                                const char *prefix,
                                                const recur_net_options *options);

/* A model file's bytes, for a caller that keeps them (the Python package pickles a network as
 * its model's bytes) and loads them with recur_net_load_memory(_ex). The file is read as
 * recur_net_load reads it, with the same checks before a byte is read: path must name a regular
 * file (a folder, FIFO, socket or device is RECUR_ERR_IO at once, never waited on or read) whose
 * size fits recur_memory_limit() (else RECUR_ERR_LIMIT); no more than that size is read. *data
 * (NULL for an empty file) is the caller's: free it with recur_model_free. On error *data is
 * NULL and *size 0; on RECUR_ERR_IO errno is the failed system call's error (ENOENT, EACCES,
 * EISDIR, ...), or 0 for a path that is no regular file. */
RECUR_API recur_status recur_model_read(const char *path, void **data, size_t *size);
RECUR_API void recur_model_free(void *data);

/* The precision net computes in. */
RECUR_API recur_status recur_net_precision(const recur_net *net, recur_precision *out);

/* ---------------------------------------------------------------------------------------- */
/* Forward pass                                                                              */

/* One forward call. Shapes, with D = 1 or 2 directions, L layers, H_out = proj_size or
 * hidden_size:
 *   x        (T, B, I) time-first, or (B, T, I) batch-first, or (T, I) if unbatched. The layout:
 *            batch-first if batch_first = 1, time-first if time_first = 1, else the network's
 *            own (its recur_desc's batch_first, a loaded model's file's); both 1 is
 *            RECUR_ERR_INVALID_ARGUMENT. An unbatched call has no layout to choose.
 *   y        (T, B, D*H_out) or (B, T, D*H_out) or (T, D*H_out): always written
 *   h0, h_n  (L*D, B, H_out), or (L*D, H_out) if unbatched: NULL h0 means zeros;
 *            NULL h_n means not wanted
 *   c0, c_n  (L*D, B, H), LSTM only (must be NULL otherwise)
 *   lengths  NULL (every sequence has T steps) or B values in 1..T: PyTorch's packed-sequence
 *            semantics; y is zero past each sequence's end, h_n/c_n are the states after each
 *            direction's last processed step.
 * All buffers belong to the caller. Outputs must not overlap inputs or each other
 * (RECUR_ERR_INVALID_ARGUMENT), with one exception: h_n may be exactly h0, and c_n exactly c0
 * (the state is updated in place). Apart from such a state, inputs are never written; a call
 * that fails writes nothing. Scratch memory is allocated per call, unless `workspace` gives
 * a caller-held one (below).
 * Zero-initialise the struct before filling it, so fields added later default to 0. */
typedef struct recur_workspace recur_workspace;
typedef struct recur_forward_args {
  int64_t seq_len;    /* T */
  int64_t batch;      /* B; must be 1 if unbatched */
  int64_t input_size; /* I: must equal the network's input size */
  int batch_first;    /* 1: x and y are (B, T, ...) (see above) */
  int unbatched;
  const float *x;
  const int64_t *lengths;
  const float *h0;
  const float *c0;
  float *y;
  float *h_n;
  float *c_n;
  int num_threads; /* threads for this call; 0: recur_set_num_threads's, else OpenMP's default */
  recur_workspace *workspace; /* NULL: scratch allocated per call; else reused, grown when a call
                                 needs more; one thread at a time */
  int time_first;     /* 1: x and y are (T, B, ...), whatever the network's layout */
} recur_forward_args;

RECUR_API recur_status recur_forward(const recur_net *net, const recur_forward_args *args);

/* Scratch for forward calls, held by the caller: a loop of recur_forward calls that pass the
 * same workspace allocates nothing after its first call, as long as no call needs more scratch
 * than an earlier one (same network, T, B and thread count: the same need). A call that needs
 * more frees the old block and allocates a larger one, checked first against
 * recur_set_memory_limit (over it: RECUR_ERR_LIMIT, and the workspace keeps what it held;
 * out of memory leaves it empty; either way it stays usable). It never shrinks;
 * recur_workspace_free releases it. One workspace serves one call at a time: threads running
 * forward calls at once need one workspace each. It may serve calls of different networks.
 * Why the caller holds it, rather than a cache inside the network: a network is immutable and
 * shared by threads, so a cache there would need locks or per-thread slots, and memory that the
 * caller could neither bound nor free. */
RECUR_API recur_status recur_workspace_create(recur_workspace **out);
RECUR_API void recur_workspace_free(recur_workspace *ws);

/* Threads. A call uses args->num_threads if set, else the process default set here (0 restores
 * OpenMP's default, omp_get_max_threads(), i.e. OMP_NUM_THREADS). recur never calls
 * omp_set_num_threads (it would change the caller's state): it passes a num_threads clause.
 * Called from inside the caller's own OpenMP parallel region, a forward runs on the calling
 * thread alone unless the caller enabled nested parallelism. The output is bitwise the same
 * for any thread count.
 * A count above RECUR_MAX_THREADS (here, in args->num_threads or OMP_NUM_THREADS) is taken as
 * RECUR_MAX_THREADS. A call's team is smaller still: at most the larger of 64 and the CPUs
 * the process may run on, and no more threads than its rows and hidden units give work to
 * (recur_net_plan says how many). */
#define RECUR_MAX_THREADS 1024
RECUR_API void recur_set_num_threads(int n);

/* ---------------------------------------------------------------------------------------- */
/* Streaming                                                                                 */

/* A stream: the state of `batch` independent sequences of one unidirectional network, advanced
 * a few steps per call (audio frames, a simulation's time steps), plus every buffer a step
 * needs. Stepping allocates nothing: a call of any number of steps runs in chunks of at most a
 * capacity fixed at creation (the network's input-projection chunk for this batch, at most
 * 1024 steps), and chunking never changes a bit. The plan (threads, schedule, tune entry) is
 * also made once, at creation.
 * Any split of a sequence into step calls gives the same bits as one recur_forward over the
 * whole sequence from the same initial state (for the network's kernel table, any thread
 * count). A stream is used by one thread at a time; many streams (on as many threads) may
 * share one network, which stays immutable. Each step call flushes denormals as recur_forward
 * does, and restores the caller's mode.
 * With more than one thread, OpenMP (GCC's libgomp) allocates only when a parallel region's
 * team size differs from the last one the calling thread started: a stream always starts the
 * same team, so its steps allocate nothing as long as the thread stepping it runs no other
 * parallel region of another size in between (docs/streaming.md). Stepped from inside the
 * caller's parallel region (without nesting), a step runs on the calling thread alone and starts
 * no team. */
typedef struct recur_stream recur_stream;

/* A stream of `batch` rows (1..2^28) on num_threads threads (0: as recur_forward_args, decided
 * here: the stream keeps that count), every state zero. A bidirectional network is
 * RECUR_ERR_UNSUPPORTED (a reverse direction needs the whole sequence). The stream's memory
 * (state, buffers) is checked against the memory limit. net must outlive the stream. */
RECUR_API recur_status recur_stream_create(recur_stream **out, const recur_net *net,
                                           int64_t batch, int num_threads);

/* Advances every row by `steps` (1..2^28) steps: x (steps, batch, I) -> y (steps, batch, H_out),
 * time-first whatever the network's batch_first, the caller's buffers, which must not overlap.
 * A failed call changes nothing. */
RECUR_API recur_status recur_stream_step(recur_stream *s, const float *x, int64_t steps, float *y);

/* Zeroes row `row`'s state (in every layer: h, and c for an LSTM), so that a new sequence starts
 * there while the other rows go on; row = -1 zeroes every row. */
RECUR_API recur_status recur_stream_reset(recur_stream *s, int64_t row);

/* Reads or writes the state: h (L, batch, H_out), c (L, batch, H), as recur_forward's h_n/c_n
 * and h0/c0 (L = num_layers). c is for an LSTM only: NULL skips it there (set_state then keeps
 * the stream's c), and it must be NULL for other cells. h NULL skips h. get_state's h and c
 * must not overlap (RECUR_ERR_INVALID_ARGUMENT). */
RECUR_API recur_status recur_stream_get_state(const recur_stream *s, float *h, float *c);
RECUR_API recur_status recur_stream_set_state(recur_stream *s, const float *h, const float *c);

RECUR_API void recur_stream_free(recur_stream *s);

/* ---------------------------------------------------------------------------------------- */
/* Tuning (`recur tune` measures; the library reads what it wrote)                           */

/* How a forward call of a network will run: the plan its tiling and the tune file give. Tile
 * sizes and the schedule never change the results, only the speed. */
typedef struct recur_plan {
  const char *isa;        /* the network's kernel table */
  int tuned_tiling;       /* 1: the network's packing (nr, kc) came from a tune entry */
  int tuned_call;         /* 1: the per-call choices below came from a tune entry */
  int64_t tuned_batch;    /* the batch that entry was measured at; 0 without one */
  int64_t nr, nr_proj;    /* hidden units per packed panel (the projection's; 0 without P) */
  int64_t kc, kc_input;   /* K blocks: the recurrence's and the input projection's */
  int mr;                 /* batch rows per micro-tile of the recurrence */
  int64_t chunk_rows;     /* T*B rows per input-projection chunk */
  int64_t mc;             /* rows per block inside a chunk (0: the whole chunk) */
  int threads;            /* threads that run (at most the call's) */
  int groups;             /* 2: each direction of a bidirectional layer has its own threads */
  int group_threads[2];
  int hidden_split;       /* 1: a group's threads split the hidden units (a barrier per step);
                             0: they split the batch rows */
  /* Appended (fields are only ever added at the end): each group's threads as a grid of
   * batch parts (independent rows) x hidden parts (the threads of one batch part split its
   * hidden units and meet once per step). */
  int batch_parts[2], hidden_parts[2];
} recur_plan;

/* The plan of a call of net with this batch and num_threads (0: as recur_forward_args). The
 * reference ("scalar") table has no tiles: nr, kc and mr are 0 there. */
RECUR_API recur_status recur_net_plan(const recur_net *net, int64_t batch, int num_threads,
                                      recur_plan *out);

/* The tune file the library read at its first use of it (creating a network or this call):
 * $RECUR_TUNE_FILE, else $XDG_CONFIG_HOME/recur/tune.conf, else ~/.config/recur/tune.conf. A
 * file with any malformed line, or measured on another CPU or recur version, is ignored as a
 * whole (defaults apply); the library says so only under RECUR_VERBOSE=1. recur_tune_status
 * describes it in *out; out NULL is RECUR_ERR_NULL_POINTER. */
typedef struct recur_tune_info {
  const char *path;      /* the file looked for; NULL when no location is known */
  int exists;            /* 1: there is a file at path */
  int loaded;            /* 1: its entries are in use */
  const char *reason;    /* when not loaded, why ("no such file", "line 7: ...") */
  int64_t entries;       /* entries in the file when loaded */
  int64_t applicable;    /* of those, the ones for the table new networks use */
} recur_tune_info;

RECUR_API recur_status recur_tune_status(recur_tune_info *out);

/* ---------------------------------------------------------------------------------------- */
/* Resource limits                                                                           */

/* The most memory recur allocates for one network's weights, one forward call's scratch (or a
 * recur_workspace's block), one recur_stream's block (its state and workspace), one file read
 * (a model or a .npy) or one array, checked before allocating: a larger need is
 * RECUR_ERR_LIMIT. A model load counts as one sum: the file's bytes, fp32 copies of tensors
 * that cannot be used in place, and the weights as given and packed; a .npy load too: the
 * file's bytes and the array converted from them.
 * Default RECUR_DEFAULT_MEMORY_LIMIT (16 GiB); 0 restores the default. Process-wide;
 * thread-safe. */
#define RECUR_DEFAULT_MEMORY_LIMIT ((size_t)16 << 30)
RECUR_API void recur_set_memory_limit(size_t bytes);
RECUR_API size_t recur_memory_limit(void);

/* ---------------------------------------------------------------------------------------- */
/* Instruction sets                                                                          */

/* Forces the kernel table for networks created from now on: "scalar" (the portable
 * reference), "avx2", "avx512", "neon". An unknown name is RECUR_ERR_INVALID_ARGUMENT; one this
 * CPU or build lacks is RECUR_ERR_ISA_UNAVAILABLE, with a detail naming what the CPU has. */
RECUR_API recur_status recur_isa_force(const char *name);

/* The name of the kernel table new networks are built for ("avx512", ...; "none" if RECUR_ISA
 * names one this CPU lacks). The choice is made once: RECUR_ISA=scalar|avx2|avx512|neon if
 * set, else the best table this CPU runs. A network keeps the table it was created with. */
RECUR_API const char *recur_isa_name(void);

/* The kernel tables this build has that this CPU runs, best first ("avx512 avx2 scalar"). */
RECUR_API const char *recur_isa_list(void);

/* The CPU features recur detected, as CPUID/XGETBV or getauxval report them ("avx2 fma
 * avx512f avx512dq avx512bw avx512vl"). */
RECUR_API const char *recur_cpu_features(void);

/* Measures this core's fp32 FMA peak with the named table's vectors (NULL: the active one):
 * GFLOP/s (2 per FMA lane), the best of a few short runs lasting about `seconds` in all.
 * The scalar table has no vector FMA loop: RECUR_ERR_UNSUPPORTED. */
RECUR_API recur_status recur_isa_peak_gflops(const char *name, double seconds, double *gflops);

/* The same peak for networks of a precision on the named table: that of the instruction their
 * dot products are made of there. FP32: the FMA (recur_isa_peak_gflops). BF16: the ISA's bf16
 * pair dot product where this CPU has it (avx512: vdpbf16ps; neon: BFDOT), 4 flops per fp32
 * lane (two products, two sums), else the fp32 FMA that the bf16 fallback widens to. */
RECUR_API recur_status recur_isa_peak_gflops_at(const char *name, recur_precision precision,
                                                double seconds, double *gflops);

/* ---------------------------------------------------------------------------------------- */
/* NumPy .npy arrays (what the command line reads and writes)                                */

typedef enum recur_dtype {
  RECUR_DTYPE_F32 = 0,
  RECUR_DTYPE_I32 = 1,
  RECUR_DTYPE_I64 = 2
} recur_dtype;

#define RECUR_NPY_MAX_DIMS 8

/* An array read from a .npy file, converted to native byte order, C order. */
typedef struct recur_array {
  recur_dtype dtype;
  int ndim;
  int64_t shape[RECUR_NPY_MAX_DIMS];
  size_t count; /* product of shape (1 for a 0-d array) */
  void *data;   /* count elements of dtype, 64-byte aligned */
} recur_array;

/* Reads a .npy file (header versions 1, 2, 3) holding float16, float32, float64, signed or
 * unsigned integers of 1 to 8 bytes, or bool, in either byte order, in C or Fortran order,
 * into a new array in C order and native byte order. recur_npy_load_as converts it to want,
 * as NumPy's astype does (the Python package's rule for the same arrays):
 *   RECUR_DTYPE_F32  from any of those types: floats rounded to nearest (float64 past
 *                    float32's range becomes +-Inf), integers exact up to 2^24 and rounded to
 *                    nearest beyond, bool as 0 and 1;
 *   RECUR_DTYPE_I64, RECUR_DTYPE_I32  from integer types only, each value within want's
 *                    range (floats and bool are RECUR_ERR_UNSUPPORTED, as is a value past it).
 * recur_npy_load keeps the file's kind: F32 for floats, I32 for bool and the integer types
 * int32 holds (int8, int16, int32, uint8, uint16), I64 for uint32, int64 and uint64 (a
 * uint64 past INT64_MAX is RECUR_ERR_UNSUPPORTED).
 * Anything else (other dtypes, a malformed header, data of the wrong length) is an error that
 * says what it found. The file's bytes and the array count together against
 * recur_memory_limit() (the _memory variants' buf is the caller's and not counted). *out is
 * the caller's: free it with recur_array_free. */
RECUR_API recur_status recur_npy_load(const char *path, recur_array **out);
RECUR_API recur_status recur_npy_load_as(const char *path, recur_dtype want, recur_array **out);
RECUR_API recur_status recur_npy_load_memory(const void *buf, size_t len, recur_array **out);
RECUR_API recur_status recur_npy_load_memory_as(const void *buf, size_t len, recur_dtype want,
                                                recur_array **out);

/* Writes a little-endian float32 .npy (version 1.0) atomically: a temporary file in the same
 * folder, then rename. On error no file is left at path and an existing one is unchanged. A
 * process killed at any moment leaves path as it was or complete, never partly written; it may
 * leave its temporary file "<path>.tmp.<pid>.<n>" behind (the name shortened to fit the
 * folder's NAME_MAX). Only a regular file (or nothing) at path is replaced: a folder, FIFO,
 * socket or device is an error. */
RECUR_API recur_status recur_npy_save(const char *path, const float *data, int ndim,
                                      const int64_t *shape);

/* Checks, writing nothing, that recur_npy_save could put a file at path now: a regular file or
 * nothing there, in an existing folder this process may write to; else RECUR_ERR_IO saying
 * why. A program that computes for long before it saves checks its outputs first. */
RECUR_API recur_status recur_npy_save_check(const char *path);

RECUR_API void recur_array_free(recur_array *array);

#ifdef __cplusplus
}
#endif
#endif /* RECUR_H */
