/* A program built the way a user builds against an installed recur: `#include <recur.h>` and
 * `pkg-config --cflags --libs recur`, nothing from the source tree (tests/install/run.sh).
 * It creates a one-layer LSTM from literal weights, runs it, and compares y and h_n with
 * PyTorch's LSTM equations evaluated here in double precision. argv[1]: the folder the
 * library must have been loaded from (the installed copy, not the build tree's). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <recur.h>

enum { T = 3, I = 3, H = 2, G = 4 * H };

/* PyTorch's layout and gate order (i, f, g, o); drawn once from U(-0.9, 0.9). */
static const float w_ih[G * I] = {
  -0.32f, -0.63f, 0.27f, -0.77f, 0.06f, -0.24f, -0.80f, 0.01f, -0.83f, -0.12f, -0.77f, -0.74f,
  -0.14f, 0.59f, -0.68f, -0.50f, 0.23f, 0.81f, 0.14f, -0.19f, 0.86f, -0.82f, 0.65f, -0.38f};
static const float w_hh[G * H] = {-0.64f, -0.69f, -0.34f, 0.57f, -0.57f, 0.15f, 0.25f, -0.23f,
                                  0.09f, -0.79f, -0.79f, -0.53f, 0.32f, -0.13f, -0.33f, 0.15f};
static const float b_ih[G] = {-0.08f, -0.36f, 0.53f, 0.36f, -0.46f, 0.13f, 0.05f, 0.68f};
static const float b_hh[G] = {0.41f, -0.38f, 0.86f, -0.69f, -0.15f, 0.46f, -0.63f, -0.02f};
static const float x[T * I] = {-0.83f, 0.30f, 0.48f, 0.13f, 0.68f, -0.34f, 0.35f, 0.17f, 0.14f};

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* PyTorch's nn.LSTM forward, unbatched, h0 = c0 = 0. */
static void lstm_reference(double y[T * H], double h_n[H]) {
  double h[H] = {0}, c[H] = {0};
  for (int t = 0; t < T; t++) {
    double gates[G];
    for (int r = 0; r < G; r++) {
      gates[r] = (double)b_ih[r] + b_hh[r];
      for (int k = 0; k < I; k++) gates[r] += (double)w_ih[r * I + k] * x[t * I + k];
      for (int k = 0; k < H; k++) gates[r] += (double)w_hh[r * H + k] * h[k];
    }
    for (int j = 0; j < H; j++) {
      double i = sigmoid(gates[j]), f = sigmoid(gates[H + j]), g = tanh(gates[2 * H + j]),
             o = sigmoid(gates[3 * H + j]);
      c[j] = f * c[j] + i * g;
      h[j] = o * tanh(c[j]);
      y[t * H + j] = h[j];
    }
  }
  memcpy(h_n, h, sizeof h);
}

static int close_to(float got, double want) { return fabs(got - want) <= 1e-5 + 1e-5 * fabs(want); }

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer INSTALLED_LIBDIR\n");
    return 2;
  }
  /* The header and the library come from the same installation. */
  if (strcmp(recur_version_string(), RECUR_VERSION_STRING) != 0 ||
      recur_version_number() != RECUR_VERSION_NUMBER) {
    fprintf(stderr, "library %s, header %s\n", recur_version_string(), RECUR_VERSION_STRING);
    return 1;
  }
  Dl_info info;
  if (!dladdr((void *)recur_forward, &info) || !info.dli_fname ||
      strncmp(info.dli_fname, argv[1], strlen(argv[1])) != 0) {
    fprintf(stderr, "recur_forward comes from %s, not from %s\n",
            info.dli_fname ? info.dli_fname : "?", argv[1]);
    return 1;
  }

  recur_desc desc = {.cell = RECUR_CELL_LSTM, .input_size = I, .hidden_size = H,
                     .num_layers = 1, .bias = 1};
  recur_tensor tensors[] = {
    {"weight_ih_l0", w_ih, 2, {G, I}}, {"weight_hh_l0", w_hh, 2, {G, H}},
    {"bias_ih_l0", b_ih, 1, {G}},      {"bias_hh_l0", b_hh, 1, {G}},
  };
  recur_net *net;
  if (recur_net_create(&net, &desc, tensors, sizeof tensors / sizeof *tensors) != RECUR_OK) {
    fprintf(stderr, "recur_net_create: %s\n", recur_last_error());
    return 1;
  }
  float y[T * H], h_n[H];
  recur_forward_args a = {0};
  a.seq_len = T, a.batch = 1, a.input_size = I, a.unbatched = 1;
  a.x = x, a.y = y, a.h_n = h_n;
  recur_status st = recur_forward(net, &a);
  recur_net_free(net);
  if (st != RECUR_OK) {
    fprintf(stderr, "recur_forward: %s\n", recur_last_error());
    return 1;
  }

  double want_y[T * H], want_h[H];
  lstm_reference(want_y, want_h);
  /* torch 1.13's nn.LSTM(3, 2) with these weights: y[T-1] = h_n, printed by torch itself. */
  static const double torch_h_n[H] = {-0.21616479754447937, 0.14153963327407837};
  int bad = 0;
  for (int k = 0; k < H; k++)
    if (fabs(want_h[k] - torch_h_n[k]) > 1e-6) bad = fprintf(stderr, "reference off torch\n");
  for (int k = 0; k < T * H; k++)
    if (!close_to(y[k], want_y[k])) bad = fprintf(stderr, "y[%d] = %.9g, want %.9g\n", k, y[k], want_y[k]);
  for (int k = 0; k < H; k++)
    if (!close_to(h_n[k], want_h[k])) bad = fprintf(stderr, "h_n[%d] = %.9g, want %.9g\n", k, h_n[k], want_h[k]);
  printf("recur %s (%s kernels) from %s: y[T-1] = (%.7f, %.7f)%s\n", recur_version_string(),
         recur_isa_name(), info.dli_fname, y[(T - 1) * H], y[(T - 1) * H + 1],
         bad ? "" : ", as PyTorch's equations give");
  return bad ? 1 : 0;
}
