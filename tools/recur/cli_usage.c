/* The help texts of `recur` and its commands, and the hint that follows a usage error. */
#include "cli.h"

#include <stdio.h>

#include "recur_tool.h"

static const char general_usage[] =
    "usage: recur COMMAND [OPTIONS]\n"
    "\n"
    "Runs PyTorch nn.RNN, nn.LSTM and nn.GRU forward passes on the CPU.\n"
    "\n"
    "commands:\n"
    "  run       run a model on an input (see 'recur run --help')\n"
    "  info      show the version, CPU features, kernels and threads\n"
    "  bench     time recur (and oneDNN) on standard shapes (see 'recur bench --help')\n"
    "  tune      measure the best tile sizes and schedule on this CPU (see 'recur tune --help')\n"
    "\n"
    "options:\n"
    "  -h, --help    show this help\n"
    "  --version     print the version\n";

static const char run_usage[] =
    "usage: recur run MODEL.safetensors INPUT.npy [OPTIONS]\n"
    "\n"
    "Runs the network in MODEL on INPUT, a float32 array (T, B, I) time-first or (B, T, I)\n"
    "batch-first, the layout MODEL records (PyTorch's batch_first; time-first if it records\n"
    "none; 'recur info MODEL' says which), or (T, I) for one unbatched sequence. Without -o,\n"
    "prints the shape and a summary of the output y.\n"
    "\n"
    "options:\n"
    "  -o Y.npy            write the output y: (T, B, D*H_out), (B, T, D*H_out) or (T, D*H_out)\n"
    "  --hn HN.npy         write the final hidden state h_n: (L*D, B, H_out)\n"
    "  --cn CN.npy         write the final cell state c_n: (L*D, B, H) (LSTM only)\n"
    "  --h0 H0.npy         initial hidden state (L*D, B, H_out); zeros if not given\n"
    "  --c0 C0.npy         initial cell state (L*D, B, H) (LSTM only); zeros if not given\n"
    "  --lengths LEN.npy   per-sequence lengths (B,), int32 or int64, each in 1..T\n"
    "  --batch-first       INPUT is (B, T, I) and y is (B, T, D*H_out), whatever MODEL records\n"
    "  --time-first        INPUT is (T, B, I) and y is (T, B, D*H_out), whatever MODEL records\n"
    "  --prefix P          the module's tensor-name prefix in MODEL (e.g. encoder.rnn)\n"
    "  --threads N         number of threads, 1..1024 (default: OpenMP's)\n"
    "  --isa NAME          kernels, one of: %s (default: the best available)\n"
    "  --precision P       one of: %s (default: fp32; below, and docs/precision.md)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Unbatched states drop the B axis. An option's value may follow as '--opt value' or\n"
    "'--opt=value'. Outputs are written atomically; if one fails, none is left.\n";

static const char info_usage[] =
    "usage: recur info [MODEL.safetensors [--prefix P]] [--peak]\n"
    "\n"
    "Prints the library version, the CPU features seen, the kernel table in use (RECUR_ISA\n"
    "or the best this CPU runs) and those available, the default thread count and the tune\n"
    "file in use; with MODEL, its network and the layout its input takes (time-first or\n"
    "batch-first, as the file records). Exits 1 if RECUR_ISA names a table this CPU or build\n"
    "lacks, or MODEL does not load.\n"
    "\n"
    "options:\n"
    "  --prefix P   the module's tensor-name prefix in MODEL (e.g. encoder.rnn)\n"
    "  --peak       also measure each available table's peak on one core at each precision:\n"
    "               that of the instruction its dot product is made of (0.2 s each)\n"
    "  -h, --help   show this help\n";

static const char bench_usage[] =
    "usage: recur bench [OPTIONS]\n"
    "\n"
    "Times single-layer forward passes with random weights and input: by default the\n"
    "DeepBench inference shapes (T,B,I=H) (50,1,512) (50,4,512) (50,16,512) (25,64,1024)\n"
    "(100,32,512) (150,1,256) (25,1,1536) for rnn (tanh), lstm and gru, and a bidirectional\n"
    "lstm at (50,16,512), each at every thread count. Reports the median time over at least\n"
    "5 runs and 0.3 s per case and thread count, GFLOP/s, the percentage of the peak of the\n"
    "cores used at the row's precision (measured), and the scaling from the first thread count.\n"
    "\n"
    "options:\n"
    "  --cells LIST        some of rnn,lstm,gru,bilstm (default: all four)\n"
    "  --shapes LIST       T,B,I[,H[,P]];... (H defaults to I; P: LSTM projection size)\n"
    "  --isa NAME          kernels, one of: %s; or all (a table for each available\n"
    "                      one; default: the best available)\n"
    "  --threads LIST      thread counts for recur and oneDNN, each 1..1024, e.g. 1,2: every\n"
    "                      case runs at each, and the table gives the scaling from the first\n"
    "                      (default: 1,2, or 1 with a single CPU)\n"
    "  --vs-onednn         also time oneDNN's RNN primitive (as it chooses, and capped at\n"
    "                      AVX2 in a child process) at the same precision (bf16: oneDNN's\n"
    "                      bf16 path) and give recur's speedup over the better; only in\n"
    "                      bench/recur_onednn, the build folder's recur with oneDNN\n"
    "  --onednn-only       time oneDNN alone (how --vs-onednn runs its AVX2-capped child)\n"
    "  --precision LIST    some of: %s, comma-separated: every case is timed at each\n"
    "                      (default: fp32; below, and docs/precision.md)\n"
    "  --vs-defaults       also time each case with the built-in tile sizes and schedule,\n"
    "                      in turn with the tune file's, and give the tuned speed-up\n"
    "  --quick             shorter time boxes: the default run takes under 30 s\n"
    "  --csv               print CSV instead of a table\n"
    "  --json              print JSON (with the CPU, its features and the versions)\n"
    "  -h, --help          show this help\n"
    "\n"
    "A warning on stderr says when the load average or the run-to-run spread of the times\n"
    "makes the figures unreliable.\n";

static const char tune_usage[] =
    "usage: recur tune [OPTIONS]\n"
    "       recur tune --model M.safetensors --batch B [--seq T] [OPTIONS]\n"
    "\n"
    "Measures tile sizes (micro-tile rows, panel width, K blocks, time chunk, GEMM row block)\n"
    "and the thread schedule on this CPU, by default for the shapes `recur bench` runs, and\n"
    "records for each case the winner if it is at least 3%% faster than the built-in defaults\n"
    "and faster by more than the noise of their runs (each candidate runs in turn with the\n"
    "one it challenges), else the defaults, in the tune file, which the library reads at\n"
    "start-up. Entries already there are kept, except those re-measured and those of a\n"
    "network shape whose packing changed; the file is replaced atomically.\n"
    "Prints default ms, tuned ms, the speed-up and the run-to-run spread of each case.\n"
    "\n"
    "options:\n"
    "  --model M           tune the shape of this model (weights are not needed: random ones)\n"
    "  --prefix P          the module's tensor-name prefix in M\n"
    "  --batch B           the batch size to tune the model for (1..100000)\n"
    "  --seq T             its sequence length (default 50)\n"
    "  --cells LIST        some of rnn,lstm,gru,bilstm (default: all four)\n"
    "  --shapes LIST       T,B,I[,H[,P]];... (default: the bench shapes)\n"
    "  --isa NAME          kernels, one of: %s; or all (default: the\n"
    "                      best available; scalar has no tiles to tune)\n"
    "  --threads LIST      thread counts to tune for, e.g. 1,2 (default: OpenMP's default)\n"
    "  --time-limit S      seconds for the whole search (default 240)\n"
    "  --precision P       the networks' precision, one of: %s (default: fp32; entries\n"
    "                      are kept per precision)\n"
    "  -o PATH             the tune file (default: $RECUR_TUNE_FILE, else\n"
    "                      $XDG_CONFIG_HOME/recur/tune.conf, else ~/.config/recur/tune.conf)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Progress goes to stderr. Give the tuner idle cores: a busy machine measures noise. A\n"
    "warning on stderr says when the load average or the spread of the times makes the\n"
    "figures unreliable.\n";

/* "precisions:" and a line per precision: its name and how it rounds, from the library. */
static size_t precisions_block(char *dst, size_t n) {
  size_t used = (size_t)snprintf(dst, n, "\nprecisions:\n");
  const char *name;
  for (int p = 0; (name = recur_precision_name((recur_precision)p)) && used < n; p++)
    used += (size_t)snprintf(dst + used, n - used, "  %-6s %s\n", name,
                             recur_tool_precision_rounding((recur_precision)p));
  return used;
}

/* The help of a command that takes an ISA and a precision: its text, a format given the
 * library's ISA names and precision names, then the precisions' block. The command line shows
 * one help, from one thread. */
static char help[8192];
static const char *with_names(int used) {
  if (used >= 0 && (size_t)used < sizeof help) precisions_block(help + used, sizeof help - used);
  return help;
}
#define WITH_NAMES(text) \
  with_names(snprintf(help, sizeof help, text, recur_tool_isa_names(), recur_tool_precision_names()))

const char *recur_cli_usage(enum recur_cli_command command) {
  switch (command) {
    case RECUR_CLI_TUNE: return WITH_NAMES(tune_usage);
    case RECUR_CLI_RUN: return WITH_NAMES(run_usage);
    case RECUR_CLI_BENCH: return WITH_NAMES(bench_usage);
    case RECUR_CLI_INFO: return info_usage;
    default: return general_usage;
  }
}

const char *recur_cli_hint(enum recur_cli_command command) {
  switch (command) {
    case RECUR_CLI_RUN: return "try 'recur run --help'";
    case RECUR_CLI_INFO: return "try 'recur info --help'";
    case RECUR_CLI_BENCH: return "try 'recur bench --help'";
    case RECUR_CLI_TUNE: return "try 'recur tune --help'";
    default: return "try 'recur --help'";
  }
}
