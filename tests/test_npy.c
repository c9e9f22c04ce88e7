/* .npy reading and writing: numpy's own files (tests/gen_npy_fixtures.py), hand-built
 * headers good and bad, round trips, and the atomic writer's behaviour on disk. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recur.h"
#include "unwritable.h"

/* The values gen_npy_fixtures.py writes. */
static const float f4_2x3[6] = {-0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f};
static const int32_t i4_values[5] = {3, -1, 4, INT32_MAX, INT32_MIN};
static const int64_t i8_values[5] = {1, -2, INT64_C(1) << 40, INT64_MAX, INT64_MIN};

/* Every byte a message must not hold: the C0 controls and DEL. */
#define CONTROL_BYTES                                                                        \
  "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16" \
  "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"

static recur_array sentinel; /* out-parameters start here, to see them reset to NULL */
static char fixture_buf[4096];

static const char *fixture(const char *name) {
  const char *dir = getenv("RECUR_TEST_DATA");
  cr_assert_not_null(dir, "RECUR_TEST_DATA is not set");
  snprintf(fixture_buf, sizeof fixture_buf, "%s/npy/%s", dir, name);
  return fixture_buf;
}

static uint8_t *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  uint8_t *buf = malloc(1 << 20);
  *len = fread(buf, 1, 1 << 20, f);
  fclose(f);
  return buf;
}

/* The call failed with want and left a detail message. */
static void expect_error(recur_status got, recur_status want, const char *what) {
  cr_expect_eq(got, want, "%s: status %d, expected %d (%s)", what, got, want,
               recur_last_error());
  cr_expect_neq(recur_last_error()[0], '\0', "%s: empty recur_last_error()", what);
}

/* ... and the message names the file */
static void expect_error_names(recur_status got, recur_status want, const char *path) {
  expect_error(got, want, path);
  cr_expect_not_null(strstr(recur_last_error(), path), "message does not name %s: %s", path,
                     recur_last_error());
}

static void expect_shape(const recur_array *a, recur_dtype dtype, int ndim,
                         const int64_t *shape, size_t count) {
  cr_assert_not_null(a);
  cr_expect_eq(a->dtype, dtype);
  cr_assert_eq(a->ndim, ndim);
  for (int i = 0; i < ndim; i++)
    cr_expect_eq(a->shape[i], shape[i], "dim %d: %lld", i, (long long)a->shape[i]);
  cr_expect_eq(a->count, count);
  cr_assert_not_null(a->data);
  cr_expect_eq((uintptr_t)a->data % 64, 0, "data not 64-byte aligned");
}

/* ---------------------------------------------------------------------------------------- */
/* Files written by numpy                                                                    */

static void expect_f4_2x3(const char *name) {
  recur_array *a = NULL;
  recur_status s = recur_npy_load(fixture(name), &a);
  cr_assert_eq(s, RECUR_OK, "%s: %s", name, recur_last_error());
  expect_shape(a, RECUR_DTYPE_F32, 2, (int64_t[]){2, 3}, 6);
  cr_expect_arr_eq(a->data, f4_2x3, sizeof f4_2x3, "%s: values differ", name);
  recur_array_free(a);
}

Test(npy_numpy, float32_versions_and_byte_orders) {
  expect_f4_2x3("f4_2x3_v1.npy");
  expect_f4_2x3("f4_2x3_v2.npy");
  expect_f4_2x3("f4_2x3_v3.npy");
  expect_f4_2x3("f4_2x3_be.npy");
}

/* name, then the expected dtype and values */
static void expect_ints(const char *name, recur_dtype dtype, const void *values, size_t size) {
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(fixture(name), &a), RECUR_OK, "%s", recur_last_error());
  expect_shape(a, dtype, 1, (int64_t[]){5}, 5);
  cr_expect_arr_eq(a->data, values, size, "%s", name);
  recur_array_free(a);
}

Test(npy_numpy, int32_and_int64_both_byte_orders) {
  expect_ints("i4.npy", RECUR_DTYPE_I32, i4_values, sizeof i4_values);
  expect_ints("i4_be.npy", RECUR_DTYPE_I32, i4_values, sizeof i4_values);
  expect_ints("i8.npy", RECUR_DTYPE_I64, i8_values, sizeof i8_values);
  expect_ints("i8_be.npy", RECUR_DTYPE_I64, i8_values, sizeof i8_values);
}

Test(npy_numpy, scalar_and_empty) {
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(fixture("f4_scalar.npy"), &a), RECUR_OK);
  expect_shape(a, RECUR_DTYPE_F32, 0, NULL, 1);
  cr_expect_eq(((float *)a->data)[0], -2.5f);
  recur_array_free(a);
  cr_assert_eq(recur_npy_load(fixture("f4_0x3.npy"), &a), RECUR_OK);
  expect_shape(a, RECUR_DTYPE_F32, 2, (int64_t[]){0, 3}, 0);
  recur_array_free(a);
}

/* The arrays gen_npy_fixtures.py converts, by name: float16 and float64 at float32's rounding
 * boundaries, past its range, subnormal, NaN and -0; integers of every width past 2^24; bool;
 * both byte orders; Fortran order. */
static const char *const converted[] = {
    "conv_f8_3x4",  "conv_f8_be_fortran_2x3x4", "conv_f2_3x4", "conv_f2_be_fortran_4x3",
    "conv_f4_fortran_2x3x4", "conv_i1", "conv_u1", "conv_i2_be", "conv_u2", "conv_u4",
    "conv_i8_big", "conv_u8_be", "conv_u8_huge", "conv_i4_fortran_2x3", "conv_bool"};

/* NAME.npy read as want has the shape and the bytes of NAME<suffix>, numpy's own conversion
 * (a C-order float32 or int64 file, read as it is). */
static void expect_converted(const char *name, recur_dtype want, const char *suffix) {
  char path[4096], want_path[4096];
  snprintf(path, sizeof path, "%s", fixture(name));
  strcpy(path + strlen(path), ".npy");
  snprintf(want_path, sizeof want_path, "%s", fixture(name));
  strcpy(want_path + strlen(want_path), suffix);
  recur_array *got = NULL, *numpy = NULL;
  cr_assert_eq(recur_npy_load(want_path, &numpy), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_npy_load_as(path, want, &got), RECUR_OK, "%s: %s", name,
               recur_last_error());
  expect_shape(got, want, numpy->ndim, numpy->shape, numpy->count);
  cr_expect_eq(numpy->dtype, want, "%s", want_path);
  size_t bytes = numpy->count * (want == RECUR_DTYPE_I64 ? 8 : 4);
  cr_expect(memcmp(got->data, numpy->data, bytes) == 0, "%s as %s: not numpy's bytes", name,
            suffix);
  recur_array_free(got);
  recur_array_free(numpy);
}

Test(npy_numpy, any_real_dtype_and_order_reads_as_float32_as_numpy_converts) {
  for (size_t i = 0; i < sizeof converted / sizeof converted[0]; i++)
    expect_converted(converted[i], RECUR_DTYPE_F32, ".as_f4.npy");
}

Test(npy_numpy, any_integer_dtype_and_order_reads_as_int64_as_numpy_converts) {
  const char *const ints[] = {"conv_i1", "conv_u1", "conv_i2_be", "conv_u2", "conv_u4",
                              "conv_i8_big", "conv_u8_be", "conv_i4_fortran_2x3"};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    expect_converted(ints[i], RECUR_DTYPE_I64, ".as_i8.npy");
}

/* recur_npy_load keeps the file's kind: float32 for floats, the narrowest of int32 and int64
 * that holds every value of an integer type. */
Test(npy_numpy, load_keeps_the_kind) {
  static const struct {
    const char *name;
    recur_dtype dtype;
  } kinds[] = {{"conv_f8_3x4.npy", RECUR_DTYPE_F32}, {"conv_f2_3x4.npy", RECUR_DTYPE_F32},
               {"conv_i1.npy", RECUR_DTYPE_I32},     {"conv_u2.npy", RECUR_DTYPE_I32},
               {"conv_bool.npy", RECUR_DTYPE_I32},   {"conv_u4.npy", RECUR_DTYPE_I64},
               {"conv_u8_be.npy", RECUR_DTYPE_I64},  {"f4_fortran.npy", RECUR_DTYPE_F32}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    recur_array *a = NULL;
    cr_assert_eq(recur_npy_load(fixture(kinds[i].name), &a), RECUR_OK, "%s: %s", kinds[i].name,
                 recur_last_error());
    cr_expect_eq(a->dtype, kinds[i].dtype, "%s: dtype %d", kinds[i].name, a->dtype);
    recur_array_free(a);
  }
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(fixture("f4_fortran.npy"), &a), RECUR_OK, "%s", recur_last_error());
  expect_shape(a, RECUR_DTYPE_F32, 2, (int64_t[]){2, 3}, 6);
  cr_expect_arr_eq(a->data, f4_2x3, sizeof f4_2x3, "Fortran order not made C order");
  recur_array_free(a);
  cr_assert_eq(recur_npy_load(fixture("conv_i4_fortran_2x3.npy"), &a), RECUR_OK);
  cr_expect_arr_eq(a->data, ((int32_t[]){1, 2, 3, 4, 5, 6}), 6 * sizeof(int32_t));
  recur_array_free(a);
}

/* Integers are read only from integer types, and only values within range. */
Test(npy_numpy, integers_only_from_integers_within_range) {
  static const struct {
    const char *name;
    recur_dtype want;
    const char *needle;
  } refused[] = {
      {"f8.npy", RECUR_DTYPE_I64, "dtype float64, expected integers"},
      {"f4_2x3_v1.npy", RECUR_DTYPE_I32, "dtype float32, expected integers"},
      {"conv_bool.npy", RECUR_DTYPE_I64, "dtype bool, expected integers"},
      {"conv_u8_huge.npy", RECUR_DTYPE_I64, "element 0 (C order) of dtype uint64 is past int64"},
      {"conv_u8_huge.npy", RECUR_DTYPE_I32, "element 0 (C order) of dtype uint64 is past int32"},
      {"conv_u4.npy", RECUR_DTYPE_I32, "element 0 (C order) of dtype uint32 is past int32"},
      {"conv_i8_big.npy", RECUR_DTYPE_I32, "element 0 (C order) of dtype int64 is past int32"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    recur_array *a = &sentinel;
    expect_error_names(recur_npy_load_as(fixture(refused[i].name), refused[i].want, &a),
                       RECUR_ERR_UNSUPPORTED, fixture(refused[i].name));
    cr_expect_null(a);
    cr_expect(strstr(recur_last_error(), refused[i].needle), "%s", recur_last_error());
  }
  recur_array *a = &sentinel;
  expect_error_names(recur_npy_load(fixture("conv_u8_huge.npy"), &a), RECUR_ERR_UNSUPPORTED,
                     "past int64");
  cr_expect_null(a);
  cr_assert_eq(recur_npy_load_as(fixture("i4.npy"), RECUR_DTYPE_I32, &a), RECUR_OK);
  cr_expect_arr_eq(a->data, i4_values, sizeof i4_values);
  recur_array_free(a);
  a = &sentinel;
  expect_error(recur_npy_load_as(fixture("i4.npy"), (recur_dtype)3, &a),
               RECUR_ERR_INVALID_ARGUMENT, "want 3");
  cr_expect_null(a);
}

/* The file's bytes and the array converted from them count together against the limit. */
Test(npy_numpy, the_file_and_its_conversion_count_against_the_limit) {
  const char *path = fixture("conv_f8_3x4.npy");
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  size_t both = (size_t)st.st_size + 12 * sizeof(float);
  recur_array *a = &sentinel;
  recur_set_memory_limit(both - 1);
  expect_error_names(recur_npy_load_as(path, RECUR_DTYPE_F32, &a), RECUR_ERR_LIMIT, path);
  cr_expect_null(a);
  recur_set_memory_limit(both);
  cr_expect_eq(recur_npy_load_as(path, RECUR_DTYPE_F32, &a), RECUR_OK, "%s", recur_last_error());
  recur_set_memory_limit(0);
  recur_array_free(a);
}

/* ---------------------------------------------------------------------------------------- */
/* Hand-built headers                                                                        */

/* magic, version major.minor, the header's length and bytes, then data_len zero bytes. */
static size_t build_npy(uint8_t *buf, int major, int minor, const char *header,
                        size_t data_len) {
  size_t hlen = strlen(header), len_size = major == 1 ? 2 : 4;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (uint8_t)major;
  buf[7] = (uint8_t)minor;
  for (size_t i = 0; i < len_size; i++)
    buf[8 + i] = (uint8_t)(hlen >> (8 * i));
  memcpy(buf + 8 + len_size, header, hlen);
  memset(buf + 8 + len_size + hlen, 0, data_len);
  return 8 + len_size + hlen + data_len;
}

typedef struct header_case {
  const char *header;
  size_t data_len;
  recur_status want;
  int major, minor;
} header_case;

#define CASE(header, data_len, want) {header, data_len, want, 1, 0}
#define CASE_V(major, minor, header, data_len, want) {header, data_len, want, major, minor}
/* numpy's spelling of a float32 header, and a free-form one */
#define F4(shape) "{'descr': '<f4', 'fortran_order': False, 'shape': " shape ", }\n"
#define DICT(descr, fortran, shape) \
  "{'descr': " descr ", 'fortran_order': " fortran ", 'shape': " shape "}\n"
#define BAD(header, data_len) CASE(header, data_len, RECUR_ERR_BAD_FILE)
#define UNSUPPORTED(header, data_len) CASE(header, data_len, RECUR_ERR_UNSUPPORTED)

static const header_case header_cases[] = {
    /* accepted spellings of a (2, 3) float32 header */
    CASE(F4("(2, 3)"), 24, RECUR_OK),
    CASE(DICT("'<f4'", "False", "(2, 3)"), 24, RECUR_OK),
    CASE("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}\n", 24, RECUR_OK),
    CASE("{ 'shape' : ( 2 ,3 , ) ,\t'fortran_order':False,'descr':'=f4' }    \n", 24, RECUR_OK),
    CASE_V(2, 0, F4("(2, 3)"), 24, RECUR_OK),
    CASE_V(3, 0, F4("(2, 3)"), 24, RECUR_OK),
    /* malformed */
    BAD("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24), /* no '\n' */
    BAD("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\r\n", 24),
    BAD("{'descr': '<f4', 'fortran_order': False}\n", 24),
    BAD("{}\n", 24),
    BAD("\n", 24),
    BAD("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 24),
    BAD("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n", 24),
    BAD("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}\n", 24),
    BAD("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 24),
    BAD("{'descr': '<f4}\n", 24),
    BAD("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)\n", 24),
    BAD("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 24),
    BAD(DICT("<f4", "False", "(2, 3)"), 24),
    BAD(DICT("'<f\\x34'", "False", "(2, 3)"), 24),
    BAD(DICT("'<f4\x01'", "False", "(2, 3)"), 24),
    BAD(DICT("'<f4\xc3\xa9'", "False", "(2, 3)"), 24),
    BAD(DICT("'<f4'", "False", "(2, 3)} x"), 24),
    BAD(DICT("'<f4'", "False", "(2, 3),,"), 24),
    BAD(DICT("'<f4'", "0", "(2, 3)"), 24),
    BAD(DICT("'<f4'", "false", "(2, 3)"), 24),
    BAD(F4("(6)"), 24),
    BAD(F4("[2, 3]"), 24),
    BAD(F4("(2,, 3)"), 24),
    BAD(F4("(,)"), 24),
    BAD(F4("(2, 3"), 24),
    BAD(F4("(2.0, 3)"), 24),
    BAD(F4("(2, -3)"), 24),
    BAD(F4("(1, 1, 1, 1, 1, 1, 1, 1, 1)"), 4),
    BAD(F4("(99999999999999999999,)"), 4),
    BAD(F4("(4294967296, 4294967296, 16)"), 4),
    BAD(F4("(4611686018427387904,)"), 4), /* 2^62 elements: the byte count overflows */
    BAD(F4("(2, 3)"), 20),
    BAD(F4("(2, 3)"), 28),
    BAD(F4("()"), 0),
    /* well-formed, not supported */
    UNSUPPORTED(DICT("'|f4'", "False", "(3,)"), 12),
    UNSUPPORTED(DICT("'|i2'", "False", "(3,)"), 6),
    UNSUPPORTED(DICT("'<f16'", "False", "(3,)"), 48), /* long double: the writer's own layout */
    UNSUPPORTED(DICT("'<f12'", "False", "(3,)"), 36),
    UNSUPPORTED(DICT("'<c8'", "False", "(3,)"), 24),
    UNSUPPORTED(DICT("'<U3'", "False", "(3,)"), 36),
    UNSUPPORTED(DICT("'|S2'", "False", "(3,)"), 6),
    UNSUPPORTED(DICT("'<m8[s]'", "False", "(3,)"), 24),
    UNSUPPORTED(DICT("'|O'", "False", "(3,)"), 24),
    UNSUPPORTED(DICT("'<f3'", "False", "(3,)"), 9),
    UNSUPPORTED(DICT("'<b2'", "False", "(3,)"), 6),
    UNSUPPORTED(DICT("'float32'", "False", "(3,)"), 12),
    UNSUPPORTED(DICT("[('a', '<f4')]", "False", "(3,)"), 12),
    CASE_V(4, 0, F4("(2, 3)"), 24, RECUR_ERR_UNSUPPORTED),
    CASE_V(1, 1, F4("(2, 3)"), 24, RECUR_ERR_UNSUPPORTED),
};

Test(npy_memory, header_cases) {
  static uint8_t buf[1024];
  for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
    const header_case *c = &header_cases[i];
    size_t len = build_npy(buf, c->major, c->minor, c->header, c->data_len);
    recur_array *a = &sentinel;
    recur_status s = recur_npy_load_memory(buf, len, &a);
    if (c->want != RECUR_OK) {
      char what[32];
      snprintf(what, sizeof what, "header case %zu", i);
      expect_error(s, c->want, what);
      cr_expect_null(a, "case %zu: out not reset to NULL", i);
      continue;
    }
    cr_expect_eq(s, RECUR_OK, "case %zu: %s", i, recur_last_error());
    if (s == RECUR_OK)
      expect_shape(a, RECUR_DTYPE_F32, 2, (int64_t[]){2, 3}, 6);
    recur_array_free(a);
  }
}

/* Header bytes reach a message escaped, or not at all: it stays one line with no control byte
 * (< 0x20 or 0x7f), and quotes what it quotes. */
Test(npy_memory, messages_stay_on_one_line) {
  static const struct {
    const char *header;
    recur_status want;
    const char *needle;
  } cases[] = {
      {"{'descr': '<f4\x1b[31m', 'fortran_order': False, 'shape': (2, 3)}\n",
       RECUR_ERR_BAD_FILE, "unexpected character in string at header byte 14"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'k\ney': 1}\n",
       RECUR_ERR_BAD_FILE, "unexpected character in string"},
      {"{'descr': '<f4', 'fortran_order': False\a, 'shape': (2, 3)}\n", RECUR_ERR_BAD_FILE,
       "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'k\\': 1}\n",
       RECUR_ERR_BAD_FILE, "unexpected character in string"},
      {"{'descr': 'x\"y', 'fortran_order': False, 'shape': (2, 3)}\n", RECUR_ERR_UNSUPPORTED,
       "<memory>: dtype 'x\"y' not supported"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), \"it's\": 1}\n",
       RECUR_ERR_BAD_FILE, "unknown key 'it's' in .npy header"},
  };
  static uint8_t buf[1024];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    recur_array *a = &sentinel;
    size_t len = build_npy(buf, 1, 0, cases[i].header, 24);
    expect_error(recur_npy_load_memory(buf, len, &a), cases[i].want, cases[i].needle);
    const char *msg = recur_last_error();
    cr_expect_eq(strcspn(msg, CONTROL_BYTES), strlen(msg), "case %zu: %s", i, msg);
    cr_expect(strstr(msg, cases[i].needle), "'%s' not in '%s'", cases[i].needle, msg);
  }
  /* A long key is cut: the message keeps what follows it. */
  char header[600] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), '";
  memset(header + strlen(header), 'k', 400);
  strcat(header, "': 1}\n");
  recur_array *a;
  expect_error(recur_npy_load_memory(buf, build_npy(buf, 1, 0, header, 24), &a),
               RECUR_ERR_BAD_FILE, "long key");
  cr_expect(strstr(recur_last_error(), "kkk...' in .npy header"), "%s", recur_last_error());
  cr_expect_lt(strlen(recur_last_error()), 250, "%s", recur_last_error());
}

Test(npy_memory, broken_preambles) {
  uint8_t buf[256];
  size_t good = build_npy(buf, 1, 0, F4("(2, 3)"), 24);
  recur_array *a = NULL;
  /* every proper prefix of a valid file is truncated somewhere */
  for (size_t len = 0; len < good; len++)
    expect_error(recur_npy_load_memory(buf, len, &a), RECUR_ERR_BAD_FILE, "prefix");
  cr_assert_eq(recur_npy_load_memory(buf, good, &a), RECUR_OK);
  recur_array_free(a);

  buf[5] = 'X';
  expect_error(recur_npy_load_memory(buf, good, &a), RECUR_ERR_BAD_FILE, "magic");
  buf[5] = 'Y';
  buf[8] = 0xff; /* header length 0x7fff: past the end */
  buf[9] = 0x7f;
  expect_error(recur_npy_load_memory(buf, good, &a), RECUR_ERR_BAD_FILE, "header length");
  buf[8] = buf[9] = 0;
  expect_error(recur_npy_load_memory(buf, good, &a), RECUR_ERR_BAD_FILE, "zero header");

  size_t v2 = build_npy(buf, 2, 0, F4("(2, 3)"), 24);
  memset(buf + 8, 0xff, 4);
  expect_error(recur_npy_load_memory(buf, v2, &a), RECUR_ERR_BAD_FILE, "v2 header length");
}

Test(npy_memory, null_arguments) {
  recur_array *a = &sentinel;
  expect_error(recur_npy_load_memory(NULL, 0, &a), RECUR_ERR_NULL_POINTER, "buf");
  cr_expect_null(a);
  expect_error(recur_npy_load_memory("x", 1, NULL), RECUR_ERR_NULL_POINTER, "out");
  a = &sentinel;
  expect_error(recur_npy_load(NULL, &a), RECUR_ERR_NULL_POINTER, "path");
  cr_expect_null(a);
  expect_error(recur_npy_load(fixture("i4.npy"), NULL), RECUR_ERR_NULL_POINTER, "out");
  recur_array_free(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Loading from paths that are not .npy files                                                */

static char tmpdir[256];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/recur_test_npy_XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_tmpdir(void) {
  nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *in_tmp(const char *name) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  return path;
}

static void write_file(const char *path, const void *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  cr_assert_eq(fwrite(bytes, 1, len, f), len);
  fclose(f);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "opendir %s", dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

TestSuite(npy_paths, .init = make_tmpdir, .fini = remove_tmpdir);

Test(npy_paths, unreadable_paths_are_io_errors) {
  recur_array *a = &sentinel;
  expect_error_names(recur_npy_load(in_tmp("missing.npy"), &a), RECUR_ERR_IO,
                     in_tmp("missing.npy"));
  cr_expect_null(a);
  expect_error_names(recur_npy_load(tmpdir, &a), RECUR_ERR_IO, tmpdir);
  expect_error_names(recur_npy_load("/dev/null", &a), RECUR_ERR_IO, "/dev/null");
  /* a FIFO without a writer must fail at once, not block */
  cr_assert_eq(mkfifo(in_tmp("fifo"), 0600), 0);
  expect_error_names(recur_npy_load(in_tmp("fifo"), &a), RECUR_ERR_IO, in_tmp("fifo"));
}

Test(npy_paths, empty_and_truncated_files_are_bad_files) {
  recur_array *a = NULL;
  write_file(in_tmp("empty.npy"), "", 0);
  expect_error_names(recur_npy_load(in_tmp("empty.npy"), &a), RECUR_ERR_BAD_FILE,
                     in_tmp("empty.npy"));

  size_t len;
  uint8_t *bytes = read_whole(fixture("f4_2x3_v1.npy"), &len);
  write_file(in_tmp("cut.npy"), bytes, len - 1);
  free(bytes);
  expect_error_names(recur_npy_load(in_tmp("cut.npy"), &a), RECUR_ERR_BAD_FILE,
                     in_tmp("cut.npy"));
  cr_expect_null(a);
}

/* ---------------------------------------------------------------------------------------- */
/* Saving                                                                                    */

TestSuite(npy_save, .init = make_tmpdir, .fini = remove_tmpdir);

static void round_trip(const float *data, int ndim, const int64_t *shape, size_t count) {
  const char *path = in_tmp("rt.npy");
  cr_assert_eq(recur_npy_save(path, data, ndim, shape), RECUR_OK, "%s", recur_last_error());
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(path, &a), RECUR_OK, "%s", recur_last_error());
  expect_shape(a, RECUR_DTYPE_F32, ndim, shape, count);
  if (count > 0)
    cr_expect_arr_eq(a->data, data, count * sizeof(float), "ndim %d: values differ", ndim);
  recur_array_free(a);
  cr_expect_eq(count_entries(tmpdir), 1, "temporary files left behind");
}

Test(npy_save, round_trips) {
  float v[48];
  uint32_t specials[] = {0x7fc00001u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x00000001u};
  memcpy(v, specials, sizeof specials); /* NaN payload, -0, +-inf, a denormal: bit exact */
  for (int i = 5; i < 48; i++)
    v[i] = (float)i * -0.375f + 1.0f;
  round_trip(v, 0, NULL, 1);
  round_trip(v, 1, (int64_t[]){5}, 5);
  round_trip(v, 2, (int64_t[]){2, 3}, 6);
  round_trip(v, 3, (int64_t[]){2, 3, 4}, 24);
  round_trip(v, 8, (int64_t[]){1, 2, 1, 3, 1, 2, 2, 2}, 48);
  round_trip(v, 1, (int64_t[]){0}, 0);
  round_trip(NULL, 3, (int64_t[]){3, 0, 2}, 0);
}

Test(npy_save, large_round_trip) {
  size_t n = 1000 * 1024;
  float *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = (float)i;
  round_trip(v, 2, (int64_t[]){1000, 1024}, n);
  free(v);
}

/* recur writes the same bytes numpy wrote, header padding included. */
Test(npy_save, byte_identical_to_numpy) {
  const char *names[] = {"f4_2x3_v1.npy", "f4_scalar.npy", "f4_vec5.npy", "f4_2x2x2.npy",
                         "f4_0x3.npy"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    recur_array *a = NULL;
    cr_assert_eq(recur_npy_load(fixture(names[i]), &a), RECUR_OK, "%s", recur_last_error());
    cr_assert_eq(recur_npy_save(in_tmp("copy.npy"), a->data, a->ndim, a->shape), RECUR_OK);
    recur_array_free(a);
    size_t want_len, got_len;
    uint8_t *want = read_whole(fixture(names[i]), &want_len);
    uint8_t *got = read_whole(in_tmp("copy.npy"), &got_len);
    cr_expect_eq(got_len, want_len, "%s: %zu bytes, numpy wrote %zu", names[i], got_len,
                 want_len);
    cr_expect(got_len == want_len && memcmp(got, want, got_len) == 0, "%s differs", names[i]);
    free(want);
    free(got);
  }
}

Test(npy_save, overwrite_replaces_the_file) {
  const char *path = in_tmp("x.npy");
  char junk[4096];
  memset(junk, 'z', sizeof junk);
  write_file(path, junk, sizeof junk);
  cr_assert_eq(recur_npy_save(path, f4_2x3, 2, (int64_t[]){2, 3}), RECUR_OK);
  cr_assert_eq(recur_npy_save(path, f4_2x3 + 2, 1, (int64_t[]){4}), RECUR_OK);
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(path, &a), RECUR_OK, "%s", recur_last_error());
  expect_shape(a, RECUR_DTYPE_F32, 1, (int64_t[]){4}, 4);
  cr_expect_arr_eq(a->data, f4_2x3 + 2, 4 * sizeof(float));
  recur_array_free(a);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_expect_eq(st.st_size, 128 + 16);
  cr_expect_eq(count_entries(tmpdir), 1);
}

Test(npy_save, permissions_follow_umask) {
  const mode_t masks[] = {022, 077, 002};
  for (size_t i = 0; i < 3; i++) {
    umask(masks[i]);
    cr_assert_eq(recur_npy_save(in_tmp("m.npy"), f4_2x3, 1, (int64_t[]){6}), RECUR_OK);
    struct stat st;
    cr_assert_eq(stat(in_tmp("m.npy"), &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0666 & ~masks[i], "umask %03o: mode %03o", masks[i],
                 st.st_mode & 0777);
  }
}

Test(npy_save, unwritable_paths_leave_nothing) {
  const char *missing = in_tmp("no/such/dir/x.npy");
  expect_error_names(recur_npy_save(missing, f4_2x3, 1, (int64_t[]){6}), RECUR_ERR_IO, missing);
  cr_expect_eq(count_entries(tmpdir), 0);

  char sub[512];
  snprintf(sub, sizeof sub, "%s", in_tmp("sub"));
  cr_assert_eq(mkdir(sub, 0700), 0);
  expect_error_names(recur_npy_save(sub, f4_2x3, 1, (int64_t[]){6}), RECUR_ERR_IO, sub);
  struct stat st;
  cr_expect(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "the directory was replaced");
  cr_expect_eq(count_entries(tmpdir), 1, "temporary file left behind");
  cr_expect_eq(count_entries(sub), 0);
}

/* recur_npy_save_check says, writing nothing, whatever recur_npy_save would refuse for the
 * path: a missing folder, a file where the folder should be, a folder at the path, a folder
 * this process may not write to (root too). A new name or a regular file in a writable folder
 * passes. */
Test(npy_save, save_check_refuses_what_save_would) {
  cr_assert_eq(recur_npy_save_check(in_tmp("new.npy")), RECUR_OK, "%s", recur_last_error());
  write_file(in_tmp("old.npy"), "x", 1);
  cr_assert_eq(recur_npy_save_check(in_tmp("old.npy")), RECUR_OK, "%s", recur_last_error());
  char sub[512], in_sub[512];
  snprintf(sub, sizeof sub, "%s", in_tmp("sub"));
  snprintf(in_sub, sizeof in_sub, "%s", in_tmp("sub/x.npy"));
  cr_assert_eq(mkdir(sub, 0700), 0);
  static const struct {
    const char *name, *reason;
  } refused[] = {{"no/such/dir/x.npy", "No such file or directory"},
                 {"old.npy/x.npy", "Not a directory"},
                 {"sub", "Is a directory"}};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    const char *path = in_tmp(refused[i].name);
    expect_error_names(recur_npy_save_check(path), RECUR_ERR_IO, path);
    cr_expect(strstr(recur_last_error(), refused[i].reason), "%s", recur_last_error());
  }
  expect_error(recur_npy_save_check(NULL), RECUR_ERR_NULL_POINTER, "NULL path");
  make_unwritable(sub);
  expect_error_names(recur_npy_save_check(in_sub), RECUR_ERR_IO, in_sub);
  cr_expect(strstr(recur_last_error(), "Permission denied"), "%s", recur_last_error());
  expect_error_names(recur_npy_save(in_sub, f4_2x3, 1, (int64_t[]){6}), RECUR_ERR_IO, in_sub);
  make_writable(sub);
  cr_expect_eq(count_entries(sub), 0);
  cr_expect_eq(count_entries(tmpdir), 2, "the check wrote something");
}

/* A folder this process may not write to (root too: make_unwritable drops its capabilities). */
Test(npy_save_unprivileged, read_only_directory, .fini = remove_tmpdir) {
  make_tmpdir();
  make_unwritable(tmpdir);
  const char *path = in_tmp("x.npy");
  expect_error_names(recur_npy_save(path, f4_2x3, 1, (int64_t[]){6}), RECUR_ERR_IO, path);
  make_writable(tmpdir);
  cr_expect_eq(count_entries(tmpdir), 0);
}

Test(npy_save, invalid_arguments_write_nothing) {
  const char *path = in_tmp("x.npy");
  expect_error(recur_npy_save(NULL, f4_2x3, 1, (int64_t[]){6}), RECUR_ERR_NULL_POINTER, "path");
  expect_error(recur_npy_save(path, NULL, 1, (int64_t[]){6}), RECUR_ERR_NULL_POINTER, "data");
  expect_error(recur_npy_save(path, f4_2x3, 2, NULL), RECUR_ERR_NULL_POINTER, "shape");
  expect_error(recur_npy_save(path, f4_2x3, -1, (int64_t[]){6}), RECUR_ERR_INVALID_ARGUMENT,
               "ndim -1");
  expect_error(recur_npy_save(path, f4_2x3, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 6}),
               RECUR_ERR_INVALID_ARGUMENT, "ndim 9");
  expect_error(recur_npy_save(path, f4_2x3, 2, (int64_t[]){-2, -3}), RECUR_ERR_INVALID_SIZE,
               "negative");
  expect_error(recur_npy_save(path, f4_2x3, 2, (int64_t[]){INT64_MAX, 2}),
               RECUR_ERR_INVALID_SIZE, "count overflow");
  expect_error(recur_npy_save(path, f4_2x3, 1, (int64_t[]){INT64_C(1) << 62}),
               RECUR_ERR_INVALID_SIZE, "byte overflow");
  cr_expect_eq(count_entries(tmpdir), 0);
}

/* Writers racing on one path: each temporary is unique, and the survivor is whole. */
#define RACERS 8
#define RACE_ROUNDS 25
static char race_path[512];

static void *race(void *arg) {
  float v[256];
  for (int i = 0; i < 256; i++)
    v[i] = (float)(intptr_t)arg;
  for (int r = 0; r < RACE_ROUNDS; r++) {
    if (recur_npy_save(race_path, v, 1, (int64_t[]){256}) != RECUR_OK)
      return arg;
  }
  return NULL;
}

Test(npy_save, concurrent_writers) {
  pthread_t t[RACERS];
  snprintf(race_path, sizeof race_path, "%s", in_tmp("race.npy"));
  for (intptr_t i = 0; i < RACERS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, race, (void *)(i + 1)), 0);
  for (int i = 0; i < RACERS; i++) {
    void *failed;
    pthread_join(t[i], &failed);
    cr_expect_null(failed, "writer %d failed", i);
  }
  cr_expect_eq(count_entries(tmpdir), 1, "temporary files left behind");
  recur_array *a = NULL;
  cr_assert_eq(recur_npy_load(race_path, &a), RECUR_OK, "%s", recur_last_error());
  const float *v = a->data;
  cr_expect(v[0] >= 1 && v[0] <= RACERS);
  for (int i = 1; i < 256; i++)
    cr_expect_eq(v[i], v[0], "mixed writers at %d", i);
  recur_array_free(a);
}
