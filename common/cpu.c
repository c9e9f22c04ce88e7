/* What this CPU (and its OS) can run: CPUID feature bits plus XGETBV on x86, so that a
 * feature the OS does not save the registers of counts as absent; getauxval on aarch64. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

unsigned recur_cpu_detect(void) {
  unsigned a, b, c, d, f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return 0;
  uint64_t xcr0 = xgetbv0();
  int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
  if (!os_avx) return 0;
  if (fma) f |= RECUR_CPU_FMA;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    if ((b >> 5) & 1) f |= RECUR_CPU_AVX2;
    if (os_avx512) {
      if ((b >> 16) & 1) f |= RECUR_CPU_AVX512F;
      if ((b >> 17) & 1) f |= RECUR_CPU_AVX512DQ;
      if ((b >> 30) & 1) f |= RECUR_CPU_AVX512BW;
      if ((b >> 31) & 1) f |= RECUR_CPU_AVX512VL;
      if ((c >> 11) & 1) f |= RECUR_CPU_AVX512VNNI;
    }
    /* leaf 7 subleaf 1 EAX: bit 4 AVX-VNNI, bit 5 AVX512_BF16; only meaningful when leaf 7
     * has subleaf 1 (EAX of subleaf 0 is the highest subleaf) */
    if (a >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
      if ((a >> 4) & 1) f |= RECUR_CPU_AVXVNNI;
      if (os_avx512 && ((a >> 5) & 1)) f |= RECUR_CPU_AVX512BF16;
    }
  }
  return f;
}

static void identify_model(recur_cpu_id *id) {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return;
  memcpy(id->vendor, &b, 4), memcpy(id->vendor + 4, &d, 4), memcpy(id->vendor + 8, &c, 4);
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  id->stepping = (int)(a & 0xf);
  id->model = (int)((a >> 4) & 0xf);
  id->family = (int)((a >> 8) & 0xf);
  if (id->family == 0xf) id->family += (int)((a >> 20) & 0xff);
  if (id->family == 0x6 || id->family >= 0xf) id->model += (int)((a >> 16) & 0xf) << 4;
}
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
unsigned recur_cpu_detect(void) {
  unsigned f = (getauxval(AT_HWCAP) & HWCAP_ASIMD) ? RECUR_CPU_NEON : 0;
  if (f && (getauxval(AT_HWCAP2) & HWCAP2_BF16)) f |= RECUR_CPU_BF16;
  if (f && (getauxval(AT_HWCAP) & HWCAP_ASIMDDP)) f |= RECUR_CPU_DOTPROD;
  return f;
}

/* The first processor's MIDR fields as /proc/cpuinfo lists them: implementer as the vendor,
 * part as the model, variant as the family, revision as the stepping. */
static void identify_model(recur_cpu_id *id) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[256];
  unsigned implementer = 0;
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    unsigned long v = strtoul(colon + 1, NULL, 0);
    if (!strncmp(line, "CPU implementer", 15)) implementer = (unsigned)v;
    else if (!strncmp(line, "CPU variant", 11)) id->family = (int)v;
    else if (!strncmp(line, "CPU part", 8)) id->model = (int)v;
    else if (!strncmp(line, "CPU revision", 12)) id->stepping = (int)v;
    else if (!strncmp(line, "processor", 9) && implementer) break; /* only the first CPU */
  }
  fclose(f);
  snprintf(id->vendor, sizeof id->vendor, "arm-0x%02x", implementer);
}
#else
unsigned recur_cpu_detect(void) { return 0; }
static void identify_model(recur_cpu_id *id) { (void)id; }
#endif

/* The first line of cpu0's cache index`index`/`attr` in sysfs into buf; 0 if there is none. */
static int cache_attr(int index, const char *attr, char *buf, int n) {
  char path[96];
  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, attr);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int got = fgets(buf, n, f) != NULL;
  fclose(f);
  return got;
}

/* Bytes of the level-`level` data (or unified) cache of cpu0, from sysfs; 0 if unknown. sysfs
 * comes first: glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) derives sizes from CPUID and on an AMD
 * Zen 4 and a Zen 5 VM reported 320 MiB of L3 where sysfs and lscpu say 32 MiB. */
static int64_t sysfs_cache_bytes(int level) {
  char text[32];
  for (int i = 0; i < 16 && cache_attr(i, "level", text, sizeof text); i++) {
    if (atoi(text) != level || !cache_attr(i, "type", text, sizeof text) ||
        !strncmp(text, "Instruction", 11) || !cache_attr(i, "size", text, sizeof text))
      continue;
    char *unit;
    long long size = strtoll(text, &unit, 10);
    if (size <= 0) continue;
    return *unit == 'K' ? size << 10 : *unit == 'M' ? size << 20 : *unit == 'G' ? size << 30 : size;
  }
  return 0;
}

static int64_t cache_bytes(int level, int name) {
  int64_t v = sysfs_cache_bytes(level);
  if (v) return v;
  long s = sysconf(name);
  return s > 0 ? s : 0;
}

void recur_cpu_identify(recur_cpu_id *id) {
  *id = (recur_cpu_id){.vendor = "unknown"};
  identify_model(id);
  id->features = recur_cpu_detect();
  id->l1d = cache_bytes(1, _SC_LEVEL1_DCACHE_SIZE);
  id->l2 = cache_bytes(2, _SC_LEVEL2_CACHE_SIZE);
  id->l3 = cache_bytes(3, _SC_LEVEL3_CACHE_SIZE);
}

static recur_cpu_id this_cpu;
static pthread_once_t this_cpu_once = PTHREAD_ONCE_INIT;
static void identify_this_cpu(void) { recur_cpu_identify(&this_cpu); }

const recur_cpu_id *recur_cpu_this(void) {
  pthread_once(&this_cpu_once, identify_this_cpu);
  return &this_cpu;
}

void recur_cpu_feature_names(unsigned features, char *buf, size_t n) {
  static const struct { unsigned bit; const char *name; } names[] = {
    {RECUR_CPU_AVX2, "avx2"}, {RECUR_CPU_FMA, "fma"}, {RECUR_CPU_AVX512F, "avx512f"},
    {RECUR_CPU_AVX512DQ, "avx512dq"}, {RECUR_CPU_AVX512BW, "avx512bw"},
    {RECUR_CPU_AVX512VL, "avx512vl"}, {RECUR_CPU_AVX512BF16, "avx512bf16"},
    {RECUR_CPU_NEON, "neon"}, {RECUR_CPU_BF16, "bf16"}, {RECUR_CPU_AVX512VNNI, "avx512vnni"},
    {RECUR_CPU_AVXVNNI, "avxvnni"}, {RECUR_CPU_DOTPROD, "dotprod"},
  };
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if ((features & names[i].bit) && used < n)
      used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? " " : "", names[i].name);
  if (!used) snprintf(buf, n, "none of avx2 fma avx512 neon");
}
