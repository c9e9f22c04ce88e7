/* Which kernel table runs. This release has the portable reference only; the fast tables and
 * the CPU-feature dispatcher come with the SIMD kernels. */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"

static const char *const known_isas[] = {"scalar", "avx2", "avx512", "neon"};

static _Atomic(const recur_kernels *) forced;

const recur_kernels *recur_kernels_active(void) {
  const recur_kernels *k = atomic_load(&forced);
  return k ? k : &recur_kernels_ref;
}

recur_status recur_isa_force(const char *name) {
  if (!name) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_isa_force: name is NULL");
  if (strcmp(name, recur_kernels_ref.name) == 0) {
    atomic_store(&forced, &recur_kernels_ref);
    return RECUR_OK;
  }
  for (size_t i = 0; i < sizeof known_isas / sizeof *known_isas; i++)
    if (strcmp(name, known_isas[i]) == 0)
      return recur_fail(RECUR_ERR_ISA_UNAVAILABLE,
                        "ISA '%s' is not available in this build; available: scalar", name);
  return recur_fail(RECUR_ERR_INVALID_ARGUMENT,
                    "unknown ISA '%s'; known: scalar, avx2, avx512, neon", name);
}

const char *recur_isa_name(void) { return recur_kernels_active()->name; }
