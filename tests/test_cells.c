/* The cell registry (cells/): ids, names and gates agree with each other and with the kernel
 * tables' epilogues, and a description's tensors are PyTorch's. */
#include <criterion/criterion.h>
#include <string.h>

#include "cell.h"
#include "tables.h"

Test(cells, ids_names_and_gates_agree) {
  const recur_cell_info *c;
  int n = 0;
  for (; (c = recur_cell_get((recur_cell)n)); n++) {
    cr_expect_eq(c->id, (recur_cell)n, "%s", c->name);
    cr_expect_eq(recur_cell_named(c->name, strlen(c->name)), c, "%s", c->name);
    cr_expect_str_eq(recur_cell_name(c->id), c->name);
    cr_expect_eq(c->gates, recur_epi_gates(c->epi), "%s: its epilogue's gates", c->name);
    cr_expect(c->ref_step, "%s: a reference step", c->name);
  }
  cr_expect_eq(n, RECUR_CELL_GRU + 1, "every recur_cell has a descriptor");
  cr_expect_null(recur_cell_named("lst", 3));
  cr_expect_null(recur_cell_get((recur_cell)-1));
}

/* A fast table without a default nv for an epilogue could not pack that cell. */
Test(cells, every_table_has_every_epilogue) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n = fast_tables(tables);
  const recur_cell_info *c;
  for (size_t t = 0; t < n; t++)
    for (int i = 0; (c = recur_cell_get((recur_cell)i)); i++) {
      int nv = tables[t]->nv[c->epi];
      cr_expect(recur_nv_valid(nv, c->gates), "%s: %s's nv %d", tables[t]->name, c->name, nv);
      cr_expect(recur_nv_valid(nv, c->gates) && tables[t]->cell[c->epi][recur_nv_index(nv)][0],
                "%s: %s has no kernel", tables[t]->name, c->name);
    }
}

Test(cells, tensors_are_pytorchs) {
  static const struct {
    const char *name;
    int64_t rows, cols;
  } want[] = {
    {"weight_ih_l0", 12, 5}, {"weight_hh_l0", 12, 2}, {"weight_hr_l0", 2, 3},
    {"weight_ih_l0_reverse", 12, 5}, {"weight_hh_l0_reverse", 12, 2}, {"weight_hr_l0_reverse", 2, 3},
    {"weight_ih_l1", 12, 4}, {"weight_hh_l1", 12, 2}, {"weight_hr_l1", 2, 3},
    {"weight_ih_l1_reverse", 12, 4}, {"weight_hh_l1_reverse", 12, 2}, {"weight_hr_l1_reverse", 2, 3},
  };
  recur_desc lstm = {RECUR_CELL_LSTM, 5, 3, 2, 1, 2, 0, 0};
  recur_tensor_spec s[12];
  cr_assert_eq(recur_desc_tensors(&lstm, NULL), 12);
  recur_desc_tensors(&lstm, s);
  for (int i = 0; i < 12; i++) {
    cr_expect_str_eq(s[i].name, want[i].name);
    cr_expect(s[i].ndim == 2 && s[i].shape[0] == want[i].rows && s[i].shape[1] == want[i].cols,
              "%s", s[i].name);
    cr_expect_eq(s[i].unit, i / 3);
  }
  recur_desc gru = {RECUR_CELL_GRU, 5, 3, 1, 0, 0, 1, 0};
  cr_assert_eq(recur_desc_tensors(&gru, s), 4);
  cr_expect(s[3].kind == RECUR_B_HH && s[3].ndim == 1 && s[3].shape[0] == 9 && !s[3].shape[1]);
  cr_expect_str_eq(s[3].name, "bias_hh_l0");
  gru.cell = (recur_cell)9;
  cr_expect_eq(recur_desc_tensors(&gru, NULL), 0);
}
