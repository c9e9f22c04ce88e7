! The Fortran wrappers' error paths: every wrong size, shape, missing handle or unsupported
! network gets its recur status in `status`, a message from recur_error_message() that names
! the array or the problem, and leaves the outputs unchanged; without `status`, a failure
! prints its message on stderr and ends the program with a non-zero exit status.
! Usage: test_errors MODEL_DIR GOLDEN_DIR ERROR_STOP_PROGRAM WORK_DIR
program test_errors
  use, intrinsic :: iso_c_binding, only: c_float, c_int32_t
  use recur
  use checks
  implicit none
  character(len=4096) :: models, golden, stopper, work
  type(recur_net) :: lstm, gru, bi, none
  type(recur_stream) :: s, s2
  type(recur_workspace) :: ws
  real(c_float), allocatable :: x(:, :, :), y(:, :, :), h(:, :, :), c(:, :, :)
  real(c_float), allocatable :: x1(:, :), y1(:, :), gx(:, :, :), gy(:, :, :)
  real(c_float), allocatable :: x0(:, :, :), y0(:, :, :)
  type(recur_desc) :: desc
  integer :: st, exit_status, unit, precision
  logical :: exists
  character(len=512) :: line

  if (command_argument_count() /= 4) &
    error stop 'usage: test_errors MODEL_DIR GOLDEN_DIR ERROR_STOP_PROGRAM WORK_DIR'
  call get_command_argument(1, models)
  call get_command_argument(2, golden)
  call get_command_argument(3, stopper)
  call get_command_argument(4, work)
  call execute_command_line('mkdir -p ' // trim(work))

  ! Loading.
  call recur_load(lstm, trim(models) // '/no_such_model.safetensors', st)
  call expect_error(st, RECUR_ERR_IO, 'no_such_model.safetensors', 'load: a missing file')
  call expect(index(recur_status_string(RECUR_ERR_IO), 'RECUR_ERR_IO') == 1, &
    'recur_status_string names the status: ' // recur_status_string(RECUR_ERR_IO))
  call recur_load(lstm, trim(models) // '/observer.safetensors', st)   ! LSTM 1 -> 16, proj 1, L 2
  call expect(st == RECUR_OK, 'load observer: ' // recur_error_message())
  call recur_load(lstm, trim(models) // '/observer.safetensors', st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'already holds', 'load: a net in use')
  call recur_load(gru, trim(golden) // '/gru_h0_l2.safetensors', st)
  call expect(st == RECUR_OK, 'load gru: ' // recur_error_message())
  call recur_load(bi, trim(models) // '/lstm.safetensors', st)
  call expect(st == RECUR_OK, 'load lstm: ' // recur_error_message())
  call recur_load(none, trim(models) // '/observer.safetensors', st, precision=7)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'recur_load', 'load: an unknown precision')
  call recur_precision_named('bf16', precision, st)
  call expect(st == RECUR_OK .and. precision == RECUR_PRECISION_BF16, 'bf16 by name')
  call recur_precision_named('int8', precision, st)
  call expect(st == RECUR_OK .and. precision == RECUR_PRECISION_INT8, 'int8 by name')
  call recur_precision_named('fp32', precision, st)
  call expect(st == RECUR_OK .and. precision == RECUR_PRECISION_FP32, 'fp32 by name')
  call recur_precision_named('fp16', precision, st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, &
    "recur_precision_named: unknown precision 'fp16' (expected fp32, bf16, int8)", 'an unknown name')
  ! A char(0) would end the string in C: each of these would load observer.safetensors.
  call recur_load(none, trim(models) // '/observer.safetensors' // char(0) // 'junk', st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'recur_load: path holds char(0)', &
    'load: a path holding char(0)')
  call recur_load(none, trim(models) // '/observer.safetensors', st, prefix=char(0) // 'junk')
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'recur_load: prefix holds char(0) (at ' // &
    'character 1)', 'load: a prefix holding char(0)')

  ! recur_forward: shapes, optional arguments, handles. y must stay as it was.
  allocate(x(1, 3, 5), y(1, 3, 5), h(1, 3, 2), c(16, 3, 2))
  x = 0.5
  y = 7
  h = 0
  c = 0
  call recur_forward(lstm, x, y, status=st)
  call expect(st == RECUR_OK, 'forward: ' // recur_error_message())
  y = 7
  call recur_forward(lstm, reshape([x, x], [2, 3, 5]), y, status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'x(I, B, T) is (2, 3, 5), expected (1, 3, 5)', &
    'forward: a wrong input size')
  call recur_forward(lstm, x, y(:, 1:2, :), status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'y(D*H_out, B, T) is (1, 2, 5)', &
    'forward: y of a wrong batch')
  call recur_forward(lstm, x, y, h0=h(:, :, 1:1), status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'h0(H_out, B, L*D) is (1, 3, 1), expected ' // &
    '(1, 3, 2)', 'forward: h0 with one layer of two')
  call recur_forward(lstm, x, y, c_n=c(1:15, :, :), status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'c_n(H, B, L*D)', 'forward: c_n of H - 1')
  call recur_forward(lstm, x, y, h=h, h_n=h, status=st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'give h, or h0 and h_n', &
    'forward: h and h_n both')
  call recur_forward(lstm, x, y, lengths=[5, 5], status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'lengths(B) is (2), expected (3)', &
    'forward: two lengths for three rows')
  call recur_forward(lstm, x, y, lengths=[5, 6, 1], status=st)
  call expect_error(st, RECUR_ERR_BAD_LENGTHS, 'recur_forward: ', 'forward: a length past T')
  allocate(x0(1, 0, 5), y0(1, 0, 5))
  call recur_forward(lstm, x0, y0, status=st)
  call expect_error(st, RECUR_ERR_INVALID_SIZE, 'empty', 'forward: an empty batch')
  call recur_describe(gru, desc)
  allocate(gx(desc%input_size, 3, 5), gy(desc%hidden_size, 3, 5))
  gx = 0.1
  gy = 0
  call recur_forward(gru, gx, gy, c0=c, status=st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'LSTMs only', 'forward: c0 for a GRU')
  call recur_forward(none, x, y, status=st)
  call expect_error(st, RECUR_ERR_NULL_POINTER, 'holds no network', 'forward: no network')
  call recur_forward(lstm, x, y, workspace=ws, status=st)
  call expect_error(st, RECUR_ERR_NULL_POINTER, 'recur_workspace_create', &
    'forward: a workspace never created')
  call expect(all(transfer(y, 0_c_int32_t, size(y)) == transfer(7.0_c_float, 0_c_int32_t)), &
    'failed forward calls leave y unchanged')

  ! Streams.
  call recur_stream_create(s, bi, 2, status=st)
  call expect_error(st, RECUR_ERR_UNSUPPORTED, 'recur_stream_create: ', &
    'stream: a bidirectional network')
  call recur_stream_create(s, none, 2, status=st)
  call expect_error(st, RECUR_ERR_NULL_POINTER, 'holds no network', 'stream: no network')
  call recur_stream_create(s, lstm, 0, status=st)
  call expect_error(st, RECUR_ERR_INVALID_SIZE, 'recur_stream_create: ', 'stream: batch 0')
  call recur_stream_create(s, lstm, 3, status=st)
  call expect(st == RECUR_OK, 'stream: create: ' // recur_error_message())
  call recur_stream_create(s, lstm, 3, status=st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'already holds', 'stream: a stream in use')
  allocate(x1(1, 3), y1(1, 3))
  x1 = 0.25
  y1 = 7
  call recur_stream_step(s, x1, y1(:, 1:2), st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'y(H_out, B) is (1, 2), expected (1, 3)', &
    'stream: one step, y of a wrong batch')
  call recur_stream_step(s, reshape([x1, x1], [2, 3]), y1, st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'x(I, B) is (2, 3)', &
    'stream: one step, a wrong input size')
  call recur_stream_step(s, x, y(:, :, 1:4), st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'y(H_out, B, steps) is (1, 3, 4), expected ' // &
    '(1, 3, 5)', 'stream: steps of x and y differ')
  call expect(all(transfer(y1, 0_c_int32_t, size(y1)) == transfer(7.0_c_float, 0_c_int32_t)), &
    'failed steps leave y unchanged')
  call recur_stream_reset(s, 0, st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'row 0 is outside 1..3', 'stream: reset row 0')
  call recur_stream_reset(s, 4, st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'row 4 is outside 1..3', 'stream: reset row 4')
  call recur_stream_reset(s, 3, st)
  call expect(st == RECUR_OK, 'stream: reset row 3: ' // recur_error_message())
  call recur_stream_get_state(s, h(:, :, 1:1), status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'h(H_out, B, L) is (1, 3, 1)', &
    'stream: get_state, one layer of two')
  call recur_stream_set_state(s, c=c(:, 1:1, :), status=st)
  call expect_error(st, RECUR_ERR_SHAPE_MISMATCH, 'c(H, B, L) is (16, 1, 2)', &
    'stream: set_state, c of one row')
  call recur_stream_get_state(s, c=c, status=st)
  call expect(st == RECUR_OK, 'stream: get_state of c alone: ' // recur_error_message())
  call recur_stream_create(s2, gru, 2, status=st)
  call expect(st == RECUR_OK, 'stream: create on the GRU: ' // recur_error_message())
  call recur_stream_get_state(s2, c=c(:, 1:2, :), status=st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'LSTMs only', 'stream: c for a GRU')
  call recur_free(s2)
  call recur_stream_step(s2, x1, y1, st)
  call expect_error(st, RECUR_ERR_NULL_POINTER, 'holds no stream', 'stream: a freed stream')
  call recur_free(s2) ! a second free of an empty handle does nothing
  call recur_workspace_create(ws, st)
  call expect(st == RECUR_OK, 'workspace: create: ' // recur_error_message())
  call recur_workspace_create(ws, st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'already holds', 'workspace: one in use')
  call recur_free(ws)

  ! .npy: a folder that does not exist, for the save and for its check beforehand; the work
  ! folder passes the check.
  call recur_npy_save(trim(work) // '/no/such/folder/x.npy', x, st)
  call expect_error(st, RECUR_ERR_IO, 'recur_npy_save', 'npy: a missing folder')
  call execute_command_line('rm -f ' // trim(work) // '/x.npy')
  call recur_npy_save(trim(work) // '/x.npy' // char(0) // 'junk', x, st)
  call expect_error(st, RECUR_ERR_INVALID_ARGUMENT, 'recur_npy_save: path holds char(0)', &
    'npy: a path holding char(0)')
  inquire(file=trim(work) // '/x.npy', exist=exists)
  call expect(.not. exists, 'npy: nothing written at the path before the char(0)')
  call recur_npy_save_check(trim(work) // '/no/such/folder/x.npy', st)
  call expect_error(st, RECUR_ERR_IO, 'recur_npy_save_check: cannot write', &
    'npy: the check of a missing folder')
  call recur_npy_save_check(trim(work) // '/x.npy', st)
  call expect(st == RECUR_OK, 'npy: the check of a writable folder: ' // recur_error_message())

  ! Without status: the message on stderr, then error stop (a non-zero exit status).
  call execute_command_line(trim(stopper) // ' 2>' // trim(work) // '/error_stop.txt', &
    exitstat=exit_status)
  call expect(exit_status /= 0, 'error stop: the program ends with a failure status')
  open(newunit=unit, file=trim(work) // '/error_stop.txt', status='old', action='read', iostat=st)
  line = ''
  if (st == 0) read(unit, '(a)', iostat=st) line
  if (st == 0) close(unit)
  call expect(index(line, 'recur: recur_load: ') == 1 .and. &
    index(line, 'no_such_model.safetensors') > 0, 'error stop: stderr says why: ' // trim(line))

  call recur_free(s)
  call recur_free(lstm)
  call recur_free(gru)
  call recur_free(bi)
  call recur_free(none)
  ! A main program's allocatables are saved, not freed at its end: free them (LeakSanitizer).
  deallocate(x, y, h, c, x1, y1, gx, gy, x0, y0)
  call report_checks()

contains

  ! The call failed with status want and a message holding text.
  subroutine expect_error(got, want, text, what)
    integer, intent(in) :: got, want
    character(len=*), intent(in) :: text, what
    character(len=16) :: codes
    write(codes, '(i0, a, i0)') got, ' vs ', want
    call expect(got == want, what // ': status ' // trim(codes) // ' (' // &
      recur_error_message() // ')')
    call expect(index(recur_error_message(), text) > 0, what // ': the message "' // &
      recur_error_message() // '" lacks "' // text // '"')
    write(*, '(a)') what // ': ' // recur_error_message()
  end subroutine expect_error

end program test_errors
