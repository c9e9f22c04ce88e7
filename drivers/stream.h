/* recur_stream_create with the choice of alternating made by the caller (tests). */
#ifndef RECUR_STREAM_H
#define RECUR_STREAM_H

#include "recur.h"

/* As recur_stream_create; one-step calls alternate the order they read the weights in
 * (drivers/recurrence.c): 1 yes, 0 no, -1 where recur_schedule_alternates says so. */
recur_status recur_stream_create_as(recur_stream **out, const recur_net *net, int64_t batch,
                                    int num_threads, int alternate);

#endif
