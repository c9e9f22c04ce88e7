/* A folder nobody in this test may write to (unwritable.h). Root writes anywhere through its
 * capabilities, so for root they go: from the bounding set (what programs started from here
 * get) and from this process's own sets (what the library's checks here see). */
#include "unwritable.h"

#include <criterion/criterion.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void drop_dac_capabilities(void) {
  static const int caps[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  cr_assert_eq(syscall(SYS_capget, &head, data), 0, "capget");
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    cr_assert_eq(prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0), 0,
                 "root without CAP_SETPCAP: cannot make a folder root may not write to");
    data[caps[i] / 32].effective &= ~(1u << caps[i] % 32);
    data[caps[i] / 32].permitted &= ~(1u << caps[i] % 32);
  }
  cr_assert_eq(syscall(SYS_capset, &head, data), 0, "capset");
}

void make_unwritable(const char *path) {
  cr_assert_eq(chmod(path, 0500), 0, "chmod %s", path);
  if (geteuid() == 0) drop_dac_capabilities();
  cr_assert_neq(access(path, W_OK), 0, "%s is still writable", path);
}

void make_writable(const char *path) { cr_assert_eq(chmod(path, 0700), 0, "chmod %s", path); }
