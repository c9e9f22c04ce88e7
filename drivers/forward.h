/* recur_forward's own interface beyond recur.h, for the tuner and the tests. */
#ifndef RECUR_FORWARD_H
#define RECUR_FORWARD_H

#include "recur.h"
#include "net.h"

/* recur_forward with the per-call choices given (NULL: the tune file's, as recur_forward; all
 * zero: the built-in heuristic's). The tuner uses it to time candidates. */
recur_status recur_forward_with(const recur_net *net, const recur_forward_args *args,
                                const recur_call_choices *choices);

#endif
