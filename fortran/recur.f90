! recur: the Fortran binding (module recur), over the C API of recur.h only.
!
! Compile this file with your program and link the library:
!     inc=$(pkg-config --variable=includedir recur)
!     gfortran -O2 "$inc/recur.f90" prog.f90 $(pkg-config --libs recur)
! (the file is installed beside recur.h; .mod files are specific to a compiler and its
! version, so the source is what is installed).
!
! Arrays are Fortran's column-major view of recur's C arrays, with no copy: a Fortran array
! x(I, B, T) is the C array (T, B, I). So:
!     x (I, B, T)          input: I features, B sequences (the batch), T time steps
!     y (D*H_out, B, T)    output (D = 2 if bidirectional, H_out = proj_size or hidden_size)
!     h (H_out, B, L*D)    hidden state per layer (h0, h_n)
!     c (H, B, L*D)        LSTM cell state (c0, c_n)
! That is the time-first layout. A batch-first network (recur_desc%batch_first = 1: a model
! exported from a PyTorch module with batch_first=True) takes x (I, T, B) and gives
! y (D*H_out, T, B) in recur_forward, unless its batch_first argument says otherwise; states
! and streams keep the shapes above.
! Every array argument is a contiguous real(c_float) array; a non-contiguous section is
! copied by the compiler into a temporary (the call then still works, at the cost of a copy).
!
! Errors: every wrapper takes an optional `integer, intent(out) :: status`. On success it is
! RECUR_OK (0); on failure it is a recur status (negative, the same values as recur.h) and
! recur_error_message() says what went wrong. Without `status`, a failure writes the message
! to error_unit and stops the program with `error stop 1` (as Fortran's own statements do
! without stat=). A failed call changes no output argument.
!
! Handles (type(recur_net), type(recur_stream), type(recur_workspace)) are freed with
! recur_free (or the specific recur_net_free, recur_stream_free, recur_workspace_free); they
! have no finalizer, because a copied handle would free its network twice. Do not copy them
! (pass them as arguments instead).
!
! Threads: a network may be used by several threads at once (recur.h); a stream or a
! workspace by one thread at a time. recur_error_message() is per thread when this file is
! compiled with OpenMP (-fopenmp), else per process.
module recur
  use, intrinsic :: iso_c_binding, only: c_int, c_int64_t, c_size_t, c_float, c_char, c_ptr, &
    c_null_ptr, c_null_char, c_loc, c_associated, c_f_pointer
  use, intrinsic :: iso_fortran_env, only: error_unit
  implicit none
  private

  ! ------------------------------------------------------------------------------------------
  ! Constants: recur.h's pinned values.

  !> The version of recur.h this module was written against (RECUR_VERSION_STRING);
  !> recur_version() gives the loaded library's.
  character(len=*), parameter, public :: RECUR_VERSION_STRING = '0.1.0'

  ! recur_status
  integer, parameter, public :: RECUR_OK = 0
  integer, parameter, public :: RECUR_ERR_NULL_POINTER = -1
  integer, parameter, public :: RECUR_ERR_INVALID_SIZE = -2
  integer, parameter, public :: RECUR_ERR_SHAPE_MISMATCH = -3
  integer, parameter, public :: RECUR_ERR_INVALID_ARGUMENT = -4
  integer, parameter, public :: RECUR_ERR_BAD_LENGTHS = -5
  integer, parameter, public :: RECUR_ERR_OUT_OF_MEMORY = -6
  integer, parameter, public :: RECUR_ERR_IO = -7
  integer, parameter, public :: RECUR_ERR_BAD_FILE = -8
  integer, parameter, public :: RECUR_ERR_UNSUPPORTED = -9
  integer, parameter, public :: RECUR_ERR_MISSING_TENSOR = -10
  integer, parameter, public :: RECUR_ERR_UNEXPECTED_TENSOR = -11
  integer, parameter, public :: RECUR_ERR_LIMIT = -12
  integer, parameter, public :: RECUR_ERR_ISA_UNAVAILABLE = -13
  integer, parameter, public :: RECUR_ERR_INTERNAL = -14

  ! recur_cell
  integer, parameter, public :: RECUR_CELL_RNN_TANH = 0
  integer, parameter, public :: RECUR_CELL_RNN_RELU = 1
  integer, parameter, public :: RECUR_CELL_LSTM = 2
  integer, parameter, public :: RECUR_CELL_GRU = 3

  ! recur_precision
  integer, parameter, public :: RECUR_PRECISION_FP32 = 0
  integer, parameter, public :: RECUR_PRECISION_BF16 = 1
  integer, parameter, public :: RECUR_PRECISION_INT8 = 2

  ! ------------------------------------------------------------------------------------------
  ! recur.h's structs, field for field (bind(C): C's layout and padding). C enums are c_int.

  !> recur_desc: what PyTorch's constructor takes (recur_describe fills it).
  type, bind(C), public :: recur_desc
    integer(c_int) :: cell = RECUR_CELL_RNN_TANH     ! a RECUR_CELL_* value
    integer(c_int64_t) :: input_size = 0
    integer(c_int64_t) :: hidden_size = 0
    integer(c_int64_t) :: num_layers = 0
    integer(c_int) :: bidirectional = 0              ! 0 or 1
    integer(c_int64_t) :: proj_size = 0              ! LSTM only; 0: no projection
    integer(c_int) :: bias = 1
    integer(c_int) :: batch_first = 0                ! 1: forward calls take x (I, T, B)
  end type recur_desc

  !> recur_net_options: a network's creation options (the precision).
  type, bind(C), public :: recur_net_options
    integer(c_int) :: precision = RECUR_PRECISION_FP32
  end type recur_net_options

  !> recur_forward_args, for recur_c_forward (recur_forward below fills it for you).
  type, bind(C), public :: recur_forward_args
    integer(c_int64_t) :: seq_len = 0
    integer(c_int64_t) :: batch = 0
    integer(c_int64_t) :: input_size = 0
    integer(c_int) :: batch_first = 0
    integer(c_int) :: unbatched = 0
    type(c_ptr) :: x = c_null_ptr
    type(c_ptr) :: lengths = c_null_ptr
    type(c_ptr) :: h0 = c_null_ptr
    type(c_ptr) :: c0 = c_null_ptr
    type(c_ptr) :: y = c_null_ptr
    type(c_ptr) :: h_n = c_null_ptr
    type(c_ptr) :: c_n = c_null_ptr
    integer(c_int) :: num_threads = 0
    type(c_ptr) :: workspace = c_null_ptr
    integer(c_int) :: time_first = 0
  end type recur_forward_args

  ! ------------------------------------------------------------------------------------------
  ! Handles. Components are private: create them with recur_load, recur_stream_create and
  ! recur_workspace_create, free them with recur_free.

  !> A network (recur_net *) and its description.
  type, public :: recur_net
    private
    type(c_ptr) :: handle = c_null_ptr
    type(recur_desc) :: desc
  end type recur_net

  !> A stream (recur_stream *): a batch of sequences advanced a few steps at a time, its state
  !> kept between calls. Unidirectional networks only.
  type, public :: recur_stream
    private
    type(c_ptr) :: handle = c_null_ptr
    integer(c_int64_t) :: batch = 0
    type(recur_desc) :: desc    ! its network's, for the shape checks
  end type recur_stream

  !> Scratch memory reused by recur_forward calls (recur_workspace *): one thread at a time.
  type, public :: recur_workspace
    private
    type(c_ptr) :: handle = c_null_ptr
  end type recur_workspace

  ! ------------------------------------------------------------------------------------------
  ! The C API one to one (recur.h), for what the wrappers below do not cover. Strings passed
  ! in must end with c_null_char; strings returned are C pointers (see recur_c_string).

  public :: recur_c_net_load, recur_c_net_load_ex, recur_c_net_free, recur_c_net_describe
  public :: recur_c_forward, recur_c_status_string, recur_c_last_error, recur_c_version_string
  public :: recur_c_set_num_threads, recur_c_npy_save, recur_c_npy_save_check
  public :: recur_c_stream_create, recur_c_stream_step, recur_c_stream_reset
  public :: recur_c_stream_get_state, recur_c_stream_set_state, recur_c_stream_free
  public :: recur_c_workspace_create, recur_c_workspace_free, recur_c_precision_from_name

  interface
    function recur_c_precision_from_name(name, len, out) &
        bind(C, name='recur_precision_from_name') result(st)
      import :: c_char, c_size_t, c_int
      character(kind=c_char), intent(in) :: name(*)
      integer(c_size_t), value :: len
      integer(c_int), intent(out) :: out
      integer(c_int) :: st
    end function recur_c_precision_from_name

    function recur_c_net_load(out, path, prefix) bind(C, name='recur_net_load') result(st)
      import :: c_ptr, c_char, c_int
      type(c_ptr), intent(out) :: out
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), value :: prefix
      integer(c_int) :: st
    end function recur_c_net_load

    function recur_c_net_load_ex(out, path, prefix, options) &
        bind(C, name='recur_net_load_ex') result(st)
      import :: c_ptr, c_char, c_int, recur_net_options
      type(c_ptr), intent(out) :: out
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), value :: prefix
      type(recur_net_options), intent(in) :: options
      integer(c_int) :: st
    end function recur_c_net_load_ex

    subroutine recur_c_net_free(net) bind(C, name='recur_net_free')
      import :: c_ptr
      type(c_ptr), value :: net
    end subroutine recur_c_net_free

    function recur_c_net_describe(net, out) bind(C, name='recur_net_describe') result(st)
      import :: c_ptr, c_int, recur_desc
      type(c_ptr), value :: net
      type(recur_desc), intent(out) :: out
      integer(c_int) :: st
    end function recur_c_net_describe

    function recur_c_forward(net, args) bind(C, name='recur_forward') result(st)
      import :: c_ptr, c_int, recur_forward_args
      type(c_ptr), value :: net
      type(recur_forward_args), intent(in) :: args
      integer(c_int) :: st
    end function recur_c_forward

    function recur_c_status_string(status) bind(C, name='recur_status_string') result(s)
      import :: c_ptr, c_int
      integer(c_int), value :: status
      type(c_ptr) :: s
    end function recur_c_status_string

    function recur_c_last_error() bind(C, name='recur_last_error') result(s)
      import :: c_ptr
      type(c_ptr) :: s
    end function recur_c_last_error

    function recur_c_version_string() bind(C, name='recur_version_string') result(s)
      import :: c_ptr
      type(c_ptr) :: s
    end function recur_c_version_string

    subroutine recur_c_set_num_threads(n) bind(C, name='recur_set_num_threads')
      import :: c_int
      integer(c_int), value :: n
    end subroutine recur_c_set_num_threads

    function recur_c_stream_create(out, net, batch, num_threads) &
        bind(C, name='recur_stream_create') result(st)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), intent(out) :: out
      type(c_ptr), value :: net
      integer(c_int64_t), value :: batch
      integer(c_int), value :: num_threads
      integer(c_int) :: st
    end function recur_c_stream_create

    function recur_c_stream_step(s, x, steps, y) bind(C, name='recur_stream_step') result(st)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), value :: s, x, y
      integer(c_int64_t), value :: steps
      integer(c_int) :: st
    end function recur_c_stream_step

    function recur_c_stream_reset(s, row) bind(C, name='recur_stream_reset') result(st)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), value :: s
      integer(c_int64_t), value :: row
      integer(c_int) :: st
    end function recur_c_stream_reset

    function recur_c_stream_get_state(s, h, c) bind(C, name='recur_stream_get_state') result(st)
      import :: c_ptr, c_int
      type(c_ptr), value :: s, h, c
      integer(c_int) :: st
    end function recur_c_stream_get_state

    function recur_c_stream_set_state(s, h, c) bind(C, name='recur_stream_set_state') result(st)
      import :: c_ptr, c_int
      type(c_ptr), value :: s, h, c
      integer(c_int) :: st
    end function recur_c_stream_set_state

    subroutine recur_c_stream_free(s) bind(C, name='recur_stream_free')
      import :: c_ptr
      type(c_ptr), value :: s
    end subroutine recur_c_stream_free

    function recur_c_workspace_create(out) bind(C, name='recur_workspace_create') result(st)
      import :: c_ptr, c_int
      type(c_ptr), intent(out) :: out
      integer(c_int) :: st
    end function recur_c_workspace_create

    subroutine recur_c_workspace_free(ws) bind(C, name='recur_workspace_free')
      import :: c_ptr
      type(c_ptr), value :: ws
    end subroutine recur_c_workspace_free

    function recur_c_npy_save(path, data, ndim, shape) bind(C, name='recur_npy_save') result(st)
      import :: c_char, c_ptr, c_int, c_int64_t
      character(kind=c_char), intent(in) :: path(*)
      type(c_ptr), value :: data
      integer(c_int), value :: ndim
      integer(c_int64_t), intent(in) :: shape(*)
      integer(c_int) :: st
    end function recur_c_npy_save

    function recur_c_npy_save_check(path) bind(C, name='recur_npy_save_check') result(st)
      import :: c_char, c_int
      character(kind=c_char), intent(in) :: path(*)
      integer(c_int) :: st
    end function recur_c_npy_save_check

    function c_strlen(s) bind(C, name='strlen') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function c_strlen
  end interface

  ! ------------------------------------------------------------------------------------------
  ! The Fortran API.

  public :: recur_load, recur_precision_named, recur_describe, recur_net_handle, recur_forward
  public :: recur_stream_create, recur_stream_step, recur_stream_reset
  public :: recur_stream_get_state, recur_stream_set_state
  public :: recur_workspace_create
  public :: recur_free, recur_net_free, recur_stream_free, recur_workspace_free
  public :: recur_error_message, recur_status_string, recur_version, recur_c_string
  public :: recur_npy_save, recur_npy_save_check

  !> recur_free(handle): frees a network, a stream or a workspace (nothing if it holds none)
  !> and leaves the handle empty.
  interface recur_free
    module procedure recur_net_free, recur_stream_free, recur_workspace_free
  end interface recur_free

  !> recur_stream_step(s, x, y [, status]): x(I, B, steps) -> y(H_out, B, steps), or one step:
  !> x(I, B) -> y(H_out, B).
  interface recur_stream_step
    module procedure stream_step_steps, stream_step_one
  end interface recur_stream_step

  !> recur_npy_save(path, a [, status]): writes a real(c_float) array of rank 1 to 3 as a
  !> float32 .npy file, atomically (recur_npy_save); its shape is reversed, C order: a(I, B, T)
  !> is saved as (T, B, I), what `recur run` reads and writes.
  interface recur_npy_save
    module procedure npy_save_1, npy_save_2, npy_save_3
  end interface recur_npy_save

  ! The message of the last failure (recur_error_message); per thread under OpenMP.
  integer, parameter :: message_capacity = 2048
  character(len=message_capacity), save :: last_message = ''
  integer, save :: last_message_len = 0
  !$omp threadprivate(last_message, last_message_len)

contains

  ! ------------------------------------------------------------------------------------------
  ! Strings and errors

  !> The C string at p (NUL-terminated) as a Fortran string; '' for a null pointer.
  function recur_c_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ''
      return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate(character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function recur_c_string

  !> recur_status_string: a status's static English name ("RECUR_ERR_BAD_FILE: malformed or
  !> truncated file").
  function recur_status_string(status) result(s)
    integer, intent(in) :: status
    character(len=:), allocatable :: s
    s = recur_c_string(recur_c_status_string(int(status, c_int)))
  end function recur_status_string

  !> What the calling thread's last failed wrapper call reported: the procedure, then recur's
  !> detail (recur_last_error) or the wrapper's own check ("recur_forward: y(H_out*D, B, T) is
  !> (4, 2, 5), expected (1, 2, 5)"); '' before any failure.
  function recur_error_message() result(s)
    character(len=:), allocatable :: s
    s = last_message(1:last_message_len)
  end function recur_error_message

  !> The loaded library's version ("0.1.0").
  function recur_version() result(s)
    character(len=:), allocatable :: s
    s = recur_c_string(recur_c_version_string())
  end function recur_version

  ! Reports a failure: keeps the message, then sets status or stops the program.
  subroutine fail(code, message, status)
    integer, intent(in) :: code
    character(len=*), intent(in) :: message
    integer, intent(out), optional :: status
    last_message_len = min(len(message), message_capacity)
    last_message = message(1:last_message_len)
    if (present(status)) then
      status = code
    else
      write(error_unit, '(a)') 'recur: ' // message
      flush(error_unit) ! before error stop's own lines, which bypass the unit's buffer
      error stop 1
    end if
  end subroutine fail

  ! Reports a C call's status: OK, or a failure with recur's detail.
  subroutine check(st, proc, status)
    integer(c_int), intent(in) :: st
    character(len=*), intent(in) :: proc
    integer, intent(out), optional :: status
    character(len=:), allocatable :: detail
    if (st == RECUR_OK) then
      if (present(status)) status = RECUR_OK
      return
    end if
    detail = recur_c_string(recur_c_last_error())
    if (len(detail) == 0) detail = recur_status_string(int(st))
    if (index(detail, proc // ': ') == 1) then ! recur's detail may name the call already
      call fail(int(st), detail, status)
    else
      call fail(int(st), proc // ': ' // detail, status)
    end if
  end subroutine check

  ! Fails with RECUR_ERR_INVALID_ARGUMENT if text, the argument `name`, holds a char(0): C would
  ! end the string there (a path 'x.npy' // char(0) // 'junk' would name x.npy). ok is .false.
  ! after a failure.
  subroutine check_no_nul(proc, name, text, ok, status)
    character(len=*), intent(in) :: proc, name, text
    logical, intent(out) :: ok
    integer, intent(out), optional :: status
    character(len=12) :: at
    ok = index(text, achar(0)) == 0
    if (ok) return
    write(at, '(i0)') index(text, achar(0))
    call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': ' // name // ' holds char(0) (at ' // &
      'character ' // trim(at) // '), which would end it in C', status)
  end subroutine check_no_nul

  ! '(a, b, c)' for a shape.
  function shape_text(dims) result(s)
    integer(c_int64_t), intent(in) :: dims(:)
    character(len=:), allocatable :: s
    character(len=24) :: one
    integer :: i
    s = '('
    do i = 1, size(dims)
      write(one, '(i0)') dims(i)
      s = s // trim(one)
      if (i < size(dims)) s = s // ', '
    end do
    s = s // ')'
  end function shape_text

  ! Checks that array `name` (written as `layout`) has shape `want`; else fails with
  ! RECUR_ERR_SHAPE_MISMATCH. ok is .false. after a failure.
  subroutine check_shape(proc, name, got, want, ok, status)
    character(len=*), intent(in) :: proc, name
    integer(c_int64_t), intent(in) :: got(:), want(:)
    logical, intent(out) :: ok
    integer, intent(out), optional :: status
    ok = all(got == want) .and. all(got > 0)
    if (ok) return
    if (any(got == 0)) then
      call fail(RECUR_ERR_INVALID_SIZE, proc // ': ' // name // ' is ' // shape_text(got) // &
        ': empty', status)
    else
      call fail(RECUR_ERR_SHAPE_MISMATCH, proc // ': ' // name // ' is ' // shape_text(got) // &
        ', expected ' // shape_text(want), status)
    end if
  end subroutine check_shape

  ! Unless an earlier check failed (ok .false.): checks state array a (given as `name`) against
  ! shape want and points p at it; a failure makes ok .false.. p stays valid after the return:
  ! a is contiguous, and every caller passes its own target dummy. Callers test present()
  ! themselves: an absent array handed on to an optional contiguous dummy makes gfortran 12
  ! read through its null descriptor (UBSan reports the load).
  subroutine point_at_state(proc, name, want, a, p, ok, status)
    character(len=*), intent(in) :: proc, name
    integer(c_int64_t), intent(in) :: want(3)
    real(c_float), contiguous, target, intent(in) :: a(:, :, :)
    type(c_ptr), intent(inout) :: p
    logical, intent(inout) :: ok
    integer, intent(inout), optional :: status  ! inout: a call after a failure keeps its status
    if (.not. ok) return
    call check_shape(proc, name, shape(a, c_int64_t), want, ok, status)
    if (ok) p = c_loc(a)
  end subroutine point_at_state

  ! H_out: proj_size if set, else hidden_size.
  pure function hidden_out(desc) result(n)
    type(recur_desc), intent(in) :: desc
    integer(c_int64_t) :: n
    n = desc%hidden_size
    if (desc%proj_size > 0) n = desc%proj_size
  end function hidden_out

  ! ------------------------------------------------------------------------------------------
  ! Networks

  !> Loads a safetensors model file (recur_net_load; recur_net_load_ex with `precision`).
  !>   net        must hold no network yet (a fresh one, or one given to recur_free)
  !>   path       the file; trailing blanks are ignored
  !>   prefix     picks one module's tensors in a file holding several ("encoder.rnn")
  !>   precision  RECUR_PRECISION_FP32 (default), RECUR_PRECISION_BF16 or RECUR_PRECISION_INT8
  subroutine recur_load(net, path, status, prefix, precision)
    type(recur_net), intent(inout) :: net
    character(len=*), intent(in) :: path
    integer, intent(out), optional :: status
    character(len=*), intent(in), optional :: prefix
    integer, intent(in), optional :: precision
    character(kind=c_char, len=:), allocatable, target :: c_prefix
    type(recur_net_options) :: options
    type(c_ptr) :: prefix_ptr, handle
    integer(c_int) :: st
    logical :: ok
    if (c_associated(net%handle)) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, 'recur_load: ' // trim(path) // &
        ': the recur_net already holds a network (recur_free it first)', status)
      return
    end if
    call check_no_nul('recur_load', 'path', path, ok, status)
    if (ok .and. present(prefix)) call check_no_nul('recur_load', 'prefix', prefix, ok, status)
    if (.not. ok) return
    prefix_ptr = c_null_ptr
    if (present(prefix)) then
      c_prefix = trim(prefix) // c_null_char
      prefix_ptr = c_loc(c_prefix)
    end if
    if (present(precision)) then
      options%precision = int(precision, c_int)
      st = recur_c_net_load_ex(handle, trim(path) // c_null_char, prefix_ptr, options)
    else
      st = recur_c_net_load(handle, trim(path) // c_null_char, prefix_ptr)
    end if
    if (st == RECUR_OK) st = recur_c_net_describe(handle, net%desc)
    if (st == RECUR_OK) then
      net%handle = handle
    else
      call recur_c_net_free(handle)
    end if
    call check(st, 'recur_load', status)
  end subroutine recur_load

  !> The precision called name ('bf16'), for recur_load's precision: the library's one lookup
  !> (recur_precision_from_name). An unknown name is RECUR_ERR_INVALID_ARGUMENT, its message
  !> naming every precision.
  subroutine recur_precision_named(name, precision, status)
    character(len=*), intent(in) :: name
    integer, intent(out) :: precision
    integer, intent(out), optional :: status
    integer(c_int) :: p
    p = RECUR_PRECISION_FP32
    call check(recur_c_precision_from_name(name, int(len(name), c_size_t), p), &
               'recur_precision_named', status)
    precision = int(p)
  end subroutine recur_precision_named

  !> The network's description (recur_net_describe): cell, sizes, layers, directions.
  subroutine recur_describe(net, desc, status)
    type(recur_net), intent(in) :: net
    type(recur_desc), intent(out) :: desc
    integer, intent(out), optional :: status
    if (.not. c_associated(net%handle)) then
      call fail(RECUR_ERR_NULL_POINTER, 'recur_describe: the recur_net holds no network', status)
      return
    end if
    desc = net%desc
    if (present(status)) status = RECUR_OK
  end subroutine recur_describe

  !> The network's C handle (recur_net *), for the recur_c_* interfaces.
  function recur_net_handle(net) result(p)
    type(recur_net), intent(in) :: net
    type(c_ptr) :: p
    p = net%handle
  end function recur_net_handle

  !> Frees a network (recur_net_free). Streams created from it must be freed first.
  subroutine recur_net_free(net)
    type(recur_net), intent(inout) :: net
    call recur_c_net_free(net%handle)
    net%handle = c_null_ptr
    net%desc = recur_desc()
  end subroutine recur_net_free

  ! ------------------------------------------------------------------------------------------
  ! Forward pass

  !> One forward pass over whole sequences (recur_forward), in the caller's arrays, no copy:
  !>   x(I, B, T)          input; x(I, T, B) batch-first
  !>   y(D*H_out, B, T)    output, always written; y(D*H_out, T, B) batch-first
  !>   h0(H_out, B, L*D)   initial hidden state (absent: zeros)
  !>   c0(H, B, L*D)       initial cell state, LSTM only (absent: zeros)
  !>   h_n, c_n            final states, same shapes (absent: not wanted)
  !>   h, c                the state updated in place: read as h0/c0, overwritten with
  !>                       h_n/c_n (instead of h0 and h_n, or c0 and c_n)
  !>   lengths(B)          each sequence's length in 1..T (PyTorch's packed sequences: y is 0
  !>                       past a sequence's end, h_n/c_n are its states at its last step);
  !>                       default integers, copied into C's int64_t (B values: the one
  !>                       allocation a wrapper makes on success)
  !>   num_threads         threads for this call (0 or absent: recur's default)
  !>   workspace           scratch reused across calls (absent: allocated per call)
  !>   batch_first         .true.: x and y batch-first; .false.: time-first; absent: the
  !>                       network's layout (recur_desc%batch_first, the one its file records)
  !> Outputs are intent(inout) because a failed call leaves them unchanged (recur.h).
  subroutine recur_forward(net, x, y, h0, c0, h_n, c_n, h, c, lengths, num_threads, &
      workspace, status, batch_first)
    type(recur_net), intent(in) :: net
    real(c_float), contiguous, target, intent(in) :: x(:, :, :)
    real(c_float), contiguous, target, intent(inout) :: y(:, :, :)
    real(c_float), contiguous, target, intent(in), optional :: h0(:, :, :), c0(:, :, :)
    real(c_float), contiguous, target, intent(inout), optional :: h_n(:, :, :), c_n(:, :, :)
    real(c_float), contiguous, target, intent(inout), optional :: h(:, :, :), c(:, :, :)
    integer, intent(in), optional :: lengths(:)
    integer, intent(in), optional :: num_threads
    type(recur_workspace), intent(inout), optional :: workspace
    integer, intent(out), optional :: status
    logical, intent(in), optional :: batch_first
    character(len=*), parameter :: proc = 'recur_forward'
    integer(c_int64_t), allocatable, target :: lengths64(:)
    type(recur_forward_args) :: args
    integer(c_int64_t) :: t, b, i, d, hout, layers, xs(3), hs(3), cs(3)
    character(len=4) :: axes
    logical :: ok, bf
    if (.not. c_associated(net%handle)) then
      call fail(RECUR_ERR_NULL_POINTER, proc // ': the recur_net holds no network', status)
      return
    end if
    bf = net%desc%batch_first == 1
    if (present(batch_first)) bf = batch_first
    xs = shape(x, c_int64_t)
    i = xs(1)
    if (bf) then
      axes = 'T, B'
      t = xs(2)
      b = xs(3)
    else
      axes = 'B, T'
      b = xs(2)
      t = xs(3)
    end if
    d = 1 + net%desc%bidirectional
    hout = hidden_out(net%desc)
    layers = net%desc%num_layers * d
    call check_shape(proc, 'x(I, ' // axes // ')', xs, [net%desc%input_size, xs(2:3)], ok, &
      status)
    if (.not. ok) return
    call check_shape(proc, 'y(D*H_out, ' // axes // ')', shape(y, c_int64_t), &
      [d * hout, xs(2:3)], ok, status)
    if (.not. ok) return
    hs = [hout, b, layers]
    cs = [net%desc%hidden_size, b, layers]
    if (present(h) .and. (present(h0) .or. present(h_n))) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': h is both h0 and h_n: give h, or h0 ' // &
        'and h_n', status)
      return
    end if
    if (present(c) .and. (present(c0) .or. present(c_n))) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': c is both c0 and c_n: give c, or c0 ' // &
        'and c_n', status)
      return
    end if
    if ((present(c0) .or. present(c_n) .or. present(c)) .and. &
        net%desc%cell /= RECUR_CELL_LSTM) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': c0, c_n and c are for LSTMs only', status)
      return
    end if

    args%seq_len = t
    args%batch = b
    args%input_size = i
    args%batch_first = merge(1_c_int, 0_c_int, bf)
    args%time_first = merge(0_c_int, 1_c_int, bf)
    args%x = c_loc(x)
    args%y = c_loc(y)
    if (present(h0)) call point_at_state(proc, 'h0(H_out, B, L*D)', hs, h0, args%h0, ok, status)
    if (present(h_n)) call point_at_state(proc, 'h_n(H_out, B, L*D)', hs, h_n, args%h_n, ok, &
      status)
    if (present(h)) call point_at_state(proc, 'h(H_out, B, L*D)', hs, h, args%h0, ok, status)
    if (present(c0)) call point_at_state(proc, 'c0(H, B, L*D)', cs, c0, args%c0, ok, status)
    if (present(c_n)) call point_at_state(proc, 'c_n(H, B, L*D)', cs, c_n, args%c_n, ok, status)
    if (present(c)) call point_at_state(proc, 'c(H, B, L*D)', cs, c, args%c0, ok, status)
    if (.not. ok) return
    if (present(h)) args%h_n = args%h0
    if (present(c)) args%c_n = args%c0
    if (present(lengths)) then
      call check_shape(proc, 'lengths(B)', shape(lengths, c_int64_t), [b], ok, status)
      if (.not. ok) return
      lengths64 = int(lengths, c_int64_t)
      args%lengths = c_loc(lengths64)
    end if
    if (present(num_threads)) args%num_threads = int(num_threads, c_int)
    if (present(workspace)) then
      if (.not. c_associated(workspace%handle)) then
        call fail(RECUR_ERR_NULL_POINTER, proc // ': the workspace was not created ' // &
          '(recur_workspace_create)', status)
        return
      end if
      args%workspace = workspace%handle
    end if
    call check(recur_c_forward(net%handle, args), proc, status)
  end subroutine recur_forward

  ! ------------------------------------------------------------------------------------------
  ! Workspaces

  !> Creates a workspace (recur_workspace_create): scratch memory that recur_forward calls
  !> given it reuse instead of allocating their own. One thread at a time.
  subroutine recur_workspace_create(ws, status)
    type(recur_workspace), intent(inout) :: ws
    integer, intent(out), optional :: status
    type(c_ptr) :: handle
    integer(c_int) :: st
    if (c_associated(ws%handle)) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, 'recur_workspace_create: the recur_workspace ' // &
        'already holds one (recur_free it first)', status)
      return
    end if
    st = recur_c_workspace_create(handle)
    if (st == RECUR_OK) ws%handle = handle
    call check(st, 'recur_workspace_create', status)
  end subroutine recur_workspace_create

  !> Frees a workspace (recur_workspace_free).
  subroutine recur_workspace_free(ws)
    type(recur_workspace), intent(inout) :: ws
    call recur_c_workspace_free(ws%handle)
    ws%handle = c_null_ptr
  end subroutine recur_workspace_free

  ! ------------------------------------------------------------------------------------------
  ! Streams

  !> Creates a stream of `batch` sequences on a unidirectional network (recur_stream_create),
  !> every state zero. A bidirectional network is RECUR_ERR_UNSUPPORTED (its reverse direction
  !> needs the whole sequence). The network must outlive the stream.
  !>   num_threads  threads for each step call (0 or absent: recur's default)
  subroutine recur_stream_create(s, net, batch, num_threads, status)
    type(recur_stream), intent(inout) :: s
    type(recur_net), intent(in) :: net
    integer, intent(in) :: batch
    integer, intent(in), optional :: num_threads
    integer, intent(out), optional :: status
    type(c_ptr) :: handle
    integer(c_int) :: st, threads
    if (c_associated(s%handle)) then
      call fail(RECUR_ERR_INVALID_ARGUMENT, 'recur_stream_create: the recur_stream already ' // &
        'holds a stream (recur_free it first)', status)
      return
    end if
    if (.not. c_associated(net%handle)) then
      call fail(RECUR_ERR_NULL_POINTER, 'recur_stream_create: the recur_net holds no network', &
        status)
      return
    end if
    threads = 0
    if (present(num_threads)) threads = int(num_threads, c_int)
    st = recur_c_stream_create(handle, net%handle, int(batch, c_int64_t), threads)
    if (st == RECUR_OK) then
      s%handle = handle
      s%batch = batch
      s%desc = net%desc
    end if
    call check(st, 'recur_stream_create', status)
  end subroutine recur_stream_create

  ! Fails unless s holds a stream.
  subroutine check_stream(s, proc, ok, status)
    type(recur_stream), intent(in) :: s
    character(len=*), intent(in) :: proc
    logical, intent(out) :: ok
    integer, intent(out), optional :: status
    ok = c_associated(s%handle)
    if (.not. ok) call fail(RECUR_ERR_NULL_POINTER, proc // ': the recur_stream holds no ' // &
      'stream (recur_stream_create)', status)
  end subroutine check_stream

  ! recur_stream_step with steps steps.
  subroutine stream_step_steps(s, x, y, status)
    type(recur_stream), intent(inout) :: s
    real(c_float), contiguous, target, intent(in) :: x(:, :, :)
    real(c_float), contiguous, target, intent(inout) :: y(:, :, :)
    integer, intent(out), optional :: status
    character(len=*), parameter :: proc = 'recur_stream_step'
    integer(c_int64_t) :: steps
    logical :: ok
    call check_stream(s, proc, ok, status)
    if (.not. ok) return
    steps = size(x, 3, c_int64_t)
    call check_shape(proc, 'x(I, B, steps)', shape(x, c_int64_t), &
      [s%desc%input_size, s%batch, steps], ok, status)
    if (.not. ok) return
    call check_shape(proc, 'y(H_out, B, steps)', shape(y, c_int64_t), &
      [hidden_out(s%desc), s%batch, steps], ok, status)
    if (.not. ok) return
    call check(recur_c_stream_step(s%handle, c_loc(x), steps, c_loc(y)), proc, status)
  end subroutine stream_step_steps

  ! recur_stream_step with one step.
  subroutine stream_step_one(s, x, y, status)
    type(recur_stream), intent(inout) :: s
    real(c_float), contiguous, target, intent(in) :: x(:, :)
    real(c_float), contiguous, target, intent(inout) :: y(:, :)
    integer, intent(out), optional :: status
    character(len=*), parameter :: proc = 'recur_stream_step'
    logical :: ok
    call check_stream(s, proc, ok, status)
    if (.not. ok) return
    call check_shape(proc, 'x(I, B)', shape(x, c_int64_t), [s%desc%input_size, s%batch], ok, status)
    if (.not. ok) return
    call check_shape(proc, 'y(H_out, B)', shape(y, c_int64_t), [hidden_out(s%desc), s%batch], &
      ok, status)
    if (.not. ok) return
    call check(recur_c_stream_step(s%handle, c_loc(x), 1_c_int64_t, c_loc(y)), proc, status)
  end subroutine stream_step_one

  !> Zeroes one sequence's state (row in 1..B, Fortran's numbering), or every row's when row
  !> is absent (recur_stream_reset).
  subroutine recur_stream_reset(s, row, status)
    type(recur_stream), intent(inout) :: s
    integer, intent(in), optional :: row
    integer, intent(out), optional :: status
    character(len=*), parameter :: proc = 'recur_stream_reset'
    character(len=64) :: text
    integer(c_int64_t) :: c_row
    logical :: ok
    call check_stream(s, proc, ok, status)
    if (.not. ok) return
    c_row = -1
    if (present(row)) then
      if (row < 1 .or. row > s%batch) then
        write(text, '(i0, a, i0)') row, ' is outside 1..', s%batch
        call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': row ' // trim(text), status)
        return
      end if
      c_row = row - 1
    end if
    call check(recur_c_stream_reset(s%handle, c_row), proc, status)
  end subroutine recur_stream_reset

  ! Checks get_state/set_state's arrays (has_h, has_c: whether given); ok is .false. after a
  ! failure.
  subroutine check_state(s, proc, has_c, ok, status)
    type(recur_stream), intent(in) :: s
    character(len=*), intent(in) :: proc
    logical, intent(in) :: has_c
    logical, intent(out) :: ok
    integer, intent(out), optional :: status
    call check_stream(s, proc, ok, status)
    if (ok .and. has_c .and. s%desc%cell /= RECUR_CELL_LSTM) then
      ok = .false.
      call fail(RECUR_ERR_INVALID_ARGUMENT, proc // ': c is for LSTMs only', status)
    end if
  end subroutine check_state

  ! A stream's state array shape: (width, B, L).
  pure function state_shape(s, width) result(want)
    type(recur_stream), intent(in) :: s
    integer(c_int64_t), intent(in) :: width
    integer(c_int64_t) :: want(3)
    want = [width, s%batch, s%desc%num_layers]
  end function state_shape

  !> Copies the stream's state out (recur_stream_get_state): h(H_out, B, L), and for an LSTM
  !> c(H, B, L) (L = num_layers), as recur_forward's h_n and c_n. Either may be left out.
  subroutine recur_stream_get_state(s, h, c, status)
    type(recur_stream), intent(in) :: s
    real(c_float), contiguous, target, intent(inout), optional :: h(:, :, :), c(:, :, :)
    integer, intent(out), optional :: status
    character(len=*), parameter :: proc = 'recur_stream_get_state'
    type(c_ptr) :: hp, cp
    logical :: ok
    hp = c_null_ptr
    cp = c_null_ptr
    call check_state(s, proc, present(c), ok, status)
    if (present(h)) call point_at_state(proc, 'h(H_out, B, L)', &
      state_shape(s, hidden_out(s%desc)), h, hp, ok, status)
    if (present(c)) call point_at_state(proc, 'c(H, B, L)', &
      state_shape(s, s%desc%hidden_size), c, cp, ok, status)
    if (ok) call check(recur_c_stream_get_state(s%handle, hp, cp), proc, status)
  end subroutine recur_stream_get_state

  !> Sets the stream's state (recur_stream_set_state): h(H_out, B, L), and for an LSTM
  !> c(H, B, L), as recur_forward's h0 and c0. Either may be left out: that part of the state
  !> stays as it is.
  subroutine recur_stream_set_state(s, h, c, status)
    type(recur_stream), intent(inout) :: s
    real(c_float), contiguous, target, intent(in), optional :: h(:, :, :), c(:, :, :)
    integer, intent(out), optional :: status
    character(len=*), parameter :: proc = 'recur_stream_set_state'
    type(c_ptr) :: hp, cp
    logical :: ok
    hp = c_null_ptr
    cp = c_null_ptr
    call check_state(s, proc, present(c), ok, status)
    if (present(h)) call point_at_state(proc, 'h(H_out, B, L)', &
      state_shape(s, hidden_out(s%desc)), h, hp, ok, status)
    if (present(c)) call point_at_state(proc, 'c(H, B, L)', &
      state_shape(s, s%desc%hidden_size), c, cp, ok, status)
    if (ok) call check(recur_c_stream_set_state(s%handle, hp, cp), proc, status)
  end subroutine recur_stream_set_state

  !> Frees a stream (recur_stream_free).
  subroutine recur_stream_free(s)
    type(recur_stream), intent(inout) :: s
    call recur_c_stream_free(s%handle)
    s = recur_stream()
  end subroutine recur_stream_free

  ! ------------------------------------------------------------------------------------------
  ! .npy files

  ! Saves a, taken as its elements in order (sequence association: no copy of a contiguous
  ! array), with the Fortran shape dims (reversed for C). An empty a fails before c_loc, which
  ! a zero-sized array may not be given.
  subroutine npy_save(path, a, dims, status)
    character(len=*), intent(in) :: path
    real(c_float), target, intent(in) :: a(*)
    integer(c_int64_t), intent(in) :: dims(:)
    integer, intent(out), optional :: status
    integer(c_int64_t) :: c_shape(size(dims))
    logical :: ok
    call check_shape('recur_npy_save: ' // trim(path), 'the array', dims, dims, ok, status)
    if (ok) call check_no_nul('recur_npy_save', 'path', path, ok, status)
    if (.not. ok) return
    c_shape = dims(size(dims):1:-1)
    call check(recur_c_npy_save(trim(path) // c_null_char, c_loc(a), size(dims, kind=c_int), &
      c_shape), 'recur_npy_save', status)
  end subroutine npy_save

  !> recur_npy_save_check(path [, status]): whether recur_npy_save could write path now (a
  !> regular file or nothing there, in an existing folder this process may write to), writing
  !> nothing: check a long run's outputs before it starts.
  subroutine recur_npy_save_check(path, status)
    character(len=*), intent(in) :: path
    integer, intent(out), optional :: status
    call check(recur_c_npy_save_check(trim(path) // c_null_char), 'recur_npy_save_check', status)
  end subroutine recur_npy_save_check

  subroutine npy_save_1(path, a, status)
    character(len=*), intent(in) :: path
    real(c_float), contiguous, target, intent(in) :: a(:)
    integer, intent(out), optional :: status
    call npy_save(path, a, shape(a, c_int64_t), status)
  end subroutine npy_save_1

  subroutine npy_save_2(path, a, status)
    character(len=*), intent(in) :: path
    real(c_float), contiguous, target, intent(in) :: a(:, :)
    integer, intent(out), optional :: status
    call npy_save(path, a, shape(a, c_int64_t), status)
  end subroutine npy_save_2

  subroutine npy_save_3(path, a, status)
    character(len=*), intent(in) :: path
    real(c_float), contiguous, target, intent(in) :: a(:, :, :)
    integer, intent(out), optional :: status
    call npy_save(path, a, shape(a, c_int64_t), status)
  end subroutine npy_save_3

end module recur
