! The Fortran binding against the C API, bit for bit: recur_forward (states, lengths, in-place
! states, threads, a workspace, the layout) and the stream calls (steps in chunks, get/set state, reset)
! give exactly what recur_forward called from C (c_reference.c) gives on the same arrays, for
! networks created in fp32, bf16 and int8.
! Usage: test_forward MODEL_DIR GOLDEN_DIR (examples/ and tests/data/golden/).
module forward_checks
  use, intrinsic :: iso_c_binding
  use recur
  use checks
  implicit none

  interface
    ! c_reference.c: recur_forward from C on the model at path.
    function c_reference_forward(path, seq_len, batch, input_size, x, lengths, h0, c0, y, &
        h_n, c_n, batch_first, time_first, precision) bind(C) result(st)
      import :: c_char, c_int64_t, c_ptr, c_int
      character(kind=c_char), intent(in) :: path(*)
      integer(c_int64_t), value :: seq_len, batch, input_size
      type(c_ptr), value :: x, lengths, h0, c0, y, h_n, c_n
      integer(c_int), value :: batch_first, time_first, precision
      integer(c_int) :: st
    end function c_reference_forward
  end interface

  integer(c_int64_t) :: seed = 12345
  ! The precision every check below loads its networks in, and its C reference too.
  integer(c_int) :: net_precision = RECUR_PRECISION_FP32
  ! What outputs hold before each call (tests/poison.h): the Fortran call's one value, its C
  ! reference's another, so that an element either fails to write differs.
  real(c_float), parameter :: OUT_POISON = -1.0e30_c_float, WANT_POISON = 2.0e30_c_float

contains

  ! Fills a call's outputs and its C reference's with their poisons.
  subroutine poison(got, want)
    real(c_float), intent(out) :: got(:, :, :), want(:, :, :)
    got = OUT_POISON
    want = WANT_POISON
  end subroutine poison

  ! a and b (n elements, any shape by sequence association) hold the same bits.
  subroutine expect_same(a, b, n, what)
    integer, intent(in) :: n
    real(c_float), intent(in) :: a(n), b(n)
    character(len=*), intent(in) :: what
    integer :: i, differ
    differ = 0
    do i = 1, n
      if (transfer(a(i), 0_c_int32_t) /= transfer(b(i), 0_c_int32_t)) differ = differ + 1
    end do
    if (differ > 0) write(*, '(a, i0, a, i0, a)') '  ', differ, ' of ', n, ' elements differ'
    call expect(differ == 0, what)
  end subroutine expect_same

  ! Every element of a (n elements) is +0 or -0.
  logical function is_zero(a, n)
    integer, intent(in) :: n
    real(c_float), intent(in) :: a(n)
    integer :: i
    is_zero = .true.
    do i = 1, n
      if (iand(transfer(a(i), 0_c_int32_t), huge(0_c_int32_t)) /= 0) is_zero = .false.
    end do
  end function is_zero

  ! Fills a with deterministic values in [-1, 1).
  subroutine fill(a, n)
    integer, intent(in) :: n
    real(c_float), intent(out) :: a(n)
    integer :: i
    do i = 1, n
      ! A 31-bit LCG: seed < 2^31 keeps the product within int64 (no signed overflow).
      seed = modulo(seed * 1103515245_c_int64_t + 12345_c_int64_t, 2147483648_c_int64_t)
      a(i) = real(modulo(seed / 65536, 65536_c_int64_t), c_float) / 32768.0_c_float - 1
    end do
  end subroutine fill

  ! Loads the model at path into net and describes it (d); name is the file's name for the
  ! messages, cpath the path for C. ok: whether it loaded (a failure is a failed check).
  subroutine load_case(path, net, d, name, cpath, ok)
    character(len=*), intent(in) :: path
    type(recur_net), intent(inout) :: net
    type(recur_desc), intent(out) :: d
    character(len=:), allocatable, intent(out) :: name, cpath
    logical, intent(out) :: ok
    integer :: st
    character(len=12) :: precision
    write(precision, '(a, i0)') 'precision ', net_precision
    name = path(index(path, '/', back=.true.) + 1:) // ' (' // trim(precision) // ')'
    cpath = path // c_null_char
    call recur_load(net, path, st, precision=net_precision)
    ok = st == RECUR_OK
    call expect(ok, name // ': recur_load: ' // recur_error_message())
    if (ok) call recur_describe(net, d)
  end subroutine load_case

  ! x(I, B, T), h0(H_out, B, layers) and c0(H, B, layers) for d's network, filled in that order.
  subroutine fill_inputs(d, batch, steps, layers, x, h0, c0)
    type(recur_desc), intent(in) :: d
    integer, intent(in) :: batch, steps, layers
    real(c_float), allocatable, intent(out) :: x(:, :, :), h0(:, :, :), c0(:, :, :)
    allocate(x(d%input_size, batch, steps))
    allocate(h0(hout_of(d), batch, layers), c0(d%hidden_size, batch, layers))
    call fill(x, size(x))
    call fill(h0, size(h0))
    call fill(c0, size(c0))
  end subroutine fill_inputs

  ! H_out of a description.
  integer function hout_of(d)
    type(recur_desc), intent(in) :: d
    hout_of = int(d%hidden_size)
    if (d%proj_size > 0) hout_of = int(d%proj_size)
  end function hout_of

  ! recur_forward from Fortran against C on one model: no states, h0/c0 + lengths, in place,
  ! threads and a workspace.
  subroutine check_forward(path, batch, steps)
    character(len=*), intent(in) :: path
    integer, intent(in) :: batch, steps
    type(recur_net) :: net
    type(recur_desc) :: d
    type(recur_workspace) :: ws
    real(c_float), allocatable, target :: x(:, :, :), y(:, :, :), y_c(:, :, :)
    real(c_float), allocatable, target :: h0(:, :, :), c0(:, :, :), hn(:, :, :), cn(:, :, :)
    real(c_float), allocatable, target :: hn_c(:, :, :), cn_c(:, :, :), h(:, :, :), c(:, :, :)
    integer, allocatable :: lengths(:)
    integer(c_int64_t), allocatable, target :: lengths64(:)
    integer :: st, i, dirs, hout, ny, nh, nc
    logical :: lstm, ok
    character(len=:), allocatable :: name, cpath

    call load_case(path, net, d, name, cpath, ok)
    if (.not. ok) return
    lstm = d%cell == RECUR_CELL_LSTM
    dirs = 1 + d%bidirectional
    hout = hout_of(d)
    call fill_inputs(d, batch, steps, int(d%num_layers) * dirs, x, h0, c0)
    allocate(y(dirs * hout, batch, steps))
    y_c = y
    hn = h0
    hn_c = h0
    cn = c0
    cn_c = c0
    ny = size(y)
    nh = size(h0)
    nc = size(c0)

    ! Zero states, y and h_n (and c_n).
    call poison(y, y_c)
    call poison(hn, hn_c)
    call poison(cn, cn_c)
    if (lstm) then
      call recur_forward(net, x, y, h_n=hn, c_n=cn, status=st)
    else
      call recur_forward(net, x, y, h_n=hn, status=st)
    end if
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_loc(hn_c), &
      ptr_if(cn_c, lstm), 0, 0, net_precision) == RECUR_OK, name // ': C forward')
    if (lstm) call expect_same(cn, cn_c, nc, name // ': c_n (zero state)')
    call expect(st == RECUR_OK, name // ': recur_forward: ' // recur_error_message())
    call expect_same(y, y_c, ny, name // ': y (zero state)')
    call expect_same(hn, hn_c, nh, name // ': h_n (zero state)')

    ! h0 (c0), lengths from 1 to T.
    lengths = [(1 + mod(7 * i, steps), i = 1, batch)]
    lengths(1) = steps
    lengths64 = int(lengths, c_int64_t)
    call poison(y, y_c)
    call poison(hn, hn_c)
    call poison(cn, cn_c)
    if (lstm) then
      call recur_forward(net, x, y, h0=h0, c0=c0, h_n=hn, c_n=cn, lengths=lengths, status=st)
    else
      call recur_forward(net, x, y, h0=h0, h_n=hn, lengths=lengths, status=st)
    end if
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_loc(lengths64), c_loc(h0), ptr_if(c0, lstm), c_loc(y_c), &
      c_loc(hn_c), ptr_if(cn_c, lstm), 0, 0, net_precision) == RECUR_OK, name // ': C forward, states and lengths')
    if (lstm) call expect_same(cn, cn_c, nc, name // ': c_n (c0, lengths)')
    call expect(st == RECUR_OK, name // ': recur_forward (h0, lengths): ' // recur_error_message())
    call expect_same(y, y_c, ny, name // ': y (h0, lengths)')
    call expect_same(hn, hn_c, nh, name // ': h_n (h0, lengths)')

    ! The state in place (h, c), two threads and a workspace: the same bits as above.
    h = h0
    c = c0
    y = OUT_POISON
    call recur_workspace_create(ws, st)
    call expect(st == RECUR_OK, name // ': recur_workspace_create: ' // recur_error_message())
    if (lstm) then
      call recur_forward(net, x, y, h=h, c=c, lengths=lengths, num_threads=2, workspace=ws, &
        status=st)
      call expect_same(c, cn_c, nc, name // ': c in place')
    else
      call recur_forward(net, x, y, h=h, lengths=lengths, num_threads=2, workspace=ws, status=st)
    end if
    call expect(st == RECUR_OK, name // ': recur_forward (in place): ' // recur_error_message())
    call expect_same(y, y_c, ny, name // ': y (in place, 2 threads, workspace)')
    call expect_same(h, hn_c, nh, name // ': h in place')
    ! The workspace again, on the zero state: reuse changes nothing.
    call poison(y, y_c)
    call recur_forward(net, x, y, workspace=ws, status=st)
    call expect(st == RECUR_OK, name // ': recur_forward (workspace reused): ' // &
      recur_error_message())
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_null_ptr, &
      c_null_ptr, 0, 0, net_precision) == RECUR_OK, name // ': C forward again')
    call expect_same(y, y_c, ny, name // ': y (workspace reused)')
    call recur_free(ws)
    call recur_free(net)
    write(*, '(a)') 'forward: ' // name
  end subroutine check_forward

  ! The stream calls from Fortran against one C forward over the whole sequence.
  subroutine check_stream(path, batch)
    character(len=*), intent(in) :: path
    integer, intent(in) :: batch
    integer, parameter :: steps = 9, chunks(4) = [1, 1, 4, 3]
    type(recur_net) :: net
    type(recur_stream) :: s
    type(recur_desc) :: d
    real(c_float), allocatable, target :: x(:, :, :), y(:, :, :), y_c(:, :, :)
    real(c_float), allocatable, target :: h0(:, :, :), c0(:, :, :), h(:, :, :), c(:, :, :)
    real(c_float), allocatable, target :: hn_c(:, :, :), cn_c(:, :, :)
    integer :: st, k, t, hout, layers
    logical :: lstm, ok
    character(len=:), allocatable :: name, cpath

    call load_case(path, net, d, name, cpath, ok)
    if (.not. ok) return
    lstm = d%cell == RECUR_CELL_LSTM
    hout = hout_of(d)
    layers = int(d%num_layers)
    call fill_inputs(d, batch, steps, layers, x, h0, c0)
    allocate(y(hout, batch, steps))
    y_c = y
    h = h0
    hn_c = h0
    c = c0
    cn_c = c0

    call recur_stream_create(s, net, batch, status=st)
    call expect(st == RECUR_OK, name // ': recur_stream_create: ' // recur_error_message())
    if (st /= RECUR_OK) return
    ! From zero: chunks of 1, 1, 4 and 3 steps (the first one through the one-step form).
    call poison(y, y_c)
    call poison(h, hn_c)
    call poison(c, cn_c)
    t = 0
    do k = 1, size(chunks)
      if (chunks(k) == 1) then
        call recur_stream_step(s, x(:, :, t + 1), y(:, :, t + 1), st)
      else
        call recur_stream_step(s, x(:, :, t + 1:t + chunks(k)), y(:, :, t + 1:t + chunks(k)), st)
      end if
      call expect(st == RECUR_OK, name // ': recur_stream_step: ' // recur_error_message())
      t = t + chunks(k)
    end do
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_loc(hn_c), &
      ptr_if(cn_c, lstm), 0, 0, net_precision) == RECUR_OK, name // ': C forward')
    call expect_same(y, y_c, size(y), name // ': stream y, in chunks, against one forward')
    if (lstm) then
      call recur_stream_get_state(s, h, c, st)
      call expect_same(c, cn_c, size(c), name // ': stream c against c_n')
    else
      call recur_stream_get_state(s, h, status=st)
    end if
    call expect(st == RECUR_OK, name // ': recur_stream_get_state: ' // recur_error_message())
    call expect_same(h, hn_c, size(h), name // ': stream h against h_n')

    ! From a set state, all steps at once, against C with h0 (c0).
    if (lstm) then
      call recur_stream_set_state(s, h0, c0, st)
    else
      call recur_stream_set_state(s, h0, status=st)
    end if
    call expect(st == RECUR_OK, name // ': recur_stream_set_state: ' // recur_error_message())
    call poison(y, y_c)
    call recur_stream_step(s, x, y, st)
    call expect(st == RECUR_OK, name // ': recur_stream_step: ' // recur_error_message())
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_null_ptr, c_loc(h0), ptr_if(c0, lstm), c_loc(y_c), c_loc(hn_c), &
      ptr_if(cn_c, lstm), 0, 0, net_precision) == RECUR_OK, name // ': C forward from h0')
    call expect_same(y, y_c, size(y), name // ': stream y from a set state')

    ! Reset row 2 (Fortran numbering): its state is zero, the others' unchanged.
    call recur_stream_reset(s, 2, st)
    call expect(st == RECUR_OK, name // ': recur_stream_reset(2): ' // recur_error_message())
    if (lstm) then
      call recur_stream_get_state(s, h, c, st)
      call expect(is_zero(c(:, 2, :), size(c(:, 2, :))), name // ': reset row 2 zeroes its c')
      call expect_same(c(:, 1, :), cn_c(:, 1, :), size(c(:, 1, :)), name // ': reset keeps row 1')
    else
      call recur_stream_get_state(s, h, status=st)
    end if
    call expect(is_zero(h(:, 2, :), size(h(:, 2, :))), name // ': reset row 2 zeroes its h')
    call expect_same(h(:, 1, :), hn_c(:, 1, :), size(h(:, 1, :)), name // ': reset keeps row 1 h')
    call expect_same(h(:, batch, :), hn_c(:, batch, :), size(h(:, 1, :)), &
      name // ': reset keeps the last row')
    ! Reset every row: the next steps are those from zero.
    call recur_stream_reset(s, status=st)
    call expect(st == RECUR_OK, name // ': recur_stream_reset(): ' // recur_error_message())
    call poison(y, y_c)
    call recur_stream_step(s, x, y, st)
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_null_ptr, &
      c_null_ptr, 0, 0, net_precision) == RECUR_OK, name // ': C forward from zero')
    call expect_same(y, y_c, size(y), name // ': stream y after resetting every row')
    call recur_free(s)
    call recur_free(net)
    write(*, '(a)') 'stream: ' // name
  end subroutine check_stream

  ! A batch-first network (its file records the layout): recur_forward without batch_first
  ! takes x(I, T, B), as C's recur_forward does with batch_first = 1, and with
  ! batch_first=.false. x(I, B, T), as C's does with time_first = 1; a y in the other layout is
  ! a shape error naming the layout in effect.
  subroutine check_layout(path, batch, steps)
    character(len=*), intent(in) :: path
    integer, intent(in) :: batch, steps
    type(recur_net) :: net
    type(recur_desc) :: d
    real(c_float), allocatable, target :: x_bt(:, :, :), y_bt(:, :, :), x_tb(:, :, :)
    real(c_float), allocatable, target :: y_tb(:, :, :), y_c(:, :, :)
    integer :: st, width
    logical :: ok
    character(len=:), allocatable :: name, cpath

    call load_case(path, net, d, name, cpath, ok)
    if (.not. ok) return
    call expect(d%batch_first == 1, name // ': recur_describe gives the file''s batch_first')
    width = (1 + d%bidirectional) * hout_of(d)
    allocate(x_bt(d%input_size, steps, batch), y_bt(width, steps, batch))
    allocate(x_tb(d%input_size, batch, steps), y_tb(width, batch, steps))
    call fill(x_bt, size(x_bt))
    call fill(x_tb, size(x_tb))

    y_bt = 0
    y_c = y_bt + 1
    call recur_forward(net, x_bt, y_bt, status=st)
    call expect(st == RECUR_OK, name // ': recur_forward (its layout): ' // recur_error_message())
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x_bt), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_null_ptr, &
      c_null_ptr, 1, 0, net_precision) == RECUR_OK, name // ': C forward, batch_first')
    call expect_same(y_bt, y_c, size(y_bt), name // ': y batch-first, the network''s layout')

    y_tb = 0
    y_c = y_tb + 1
    call recur_forward(net, x_tb, y_tb, status=st, batch_first=.false.)
    call expect(st == RECUR_OK, name // ': recur_forward (time-first): ' // recur_error_message())
    call expect(c_reference_forward(cpath, int(steps, c_int64_t), int(batch, c_int64_t), &
      d%input_size, c_loc(x_tb), c_null_ptr, c_null_ptr, c_null_ptr, c_loc(y_c), c_null_ptr, &
      c_null_ptr, 0, 1, net_precision) == RECUR_OK, name // ': C forward, time_first')
    call expect_same(y_tb, y_c, size(y_tb), name // ': y time-first, batch_first=.false.')

    call recur_forward(net, x_bt, y_tb, status=st)
    call expect(st == RECUR_ERR_SHAPE_MISMATCH .and. index(recur_error_message(), &
      'recur_forward: y(D*H_out, T, B) is (') == 1, name // ': a time-first y: ' // &
      recur_error_message())
    call recur_free(net)
    write(*, '(a)') 'layout: ' // name
  end subroutine check_layout

  ! c_loc(a) if want, else a null pointer.
  function ptr_if(a, want) result(p)
    real(c_float), target, intent(in) :: a(:, :, :)
    logical, intent(in) :: want
    type(c_ptr) :: p
    p = c_null_ptr
    if (want) p = c_loc(a)
  end function ptr_if

end module forward_checks

program test_forward
  use forward_checks
  implicit none
  character(len=4096) :: models, golden

  if (command_argument_count() /= 2) error stop 'usage: test_forward MODEL_DIR GOLDEN_DIR'
  call get_command_argument(1, models)
  call get_command_argument(2, golden)
  write(*, '(a)') 'recur ' // recur_version()
  call expect(recur_version() == RECUR_VERSION_STRING, 'the module (' // RECUR_VERSION_STRING // &
    ') and the library (' // recur_version() // ') are the same version')

  call check_forward(trim(models) // '/observer.safetensors', 3, 7)   ! LSTM, projection
  call check_forward(trim(models) // '/lstm.safetensors', 4, 20)      ! LSTM, bidirectional
  call check_forward(trim(golden) // '/gru_h0_l2.safetensors', 5, 6)  ! GRU, 2 layers
  call check_layout(trim(golden) // '/gru_bf_bi.safetensors', 4, 6)  ! GRU, batch-first
  call check_stream(trim(models) // '/observer.safetensors', 3)
  call check_stream(trim(golden) // '/gru_h0_l2.safetensors', 4)
  ! The same calls on networks created in bf16 and int8 (recur_load's precision=).
  net_precision = RECUR_PRECISION_BF16
  call check_forward(trim(golden) // '/gru_h0_l2.safetensors', 5, 6)
  net_precision = RECUR_PRECISION_INT8
  call check_forward(trim(models) // '/observer.safetensors', 3, 7)
  call check_forward(trim(golden) // '/gru_h0_l2.safetensors', 5, 6)
  call check_layout(trim(golden) // '/gru_bf_bi.safetensors', 4, 6)
  call check_stream(trim(models) // '/observer.safetensors', 3)

  call report_checks()
end program test_forward
