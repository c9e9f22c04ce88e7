! The Fortran wrappers add no allocation to what recur.h promises: a stream's steps through
! recur_stream_step (one step, several, longer than a chunk), reset, get_state and set_state,
! and recur_forward calls sharing a workspace after the first, make no malloc or free call
! (counted by tests/alloc_counter.c), on 1 and 2 threads. The count is first shown to work.
! Usage: test_alloc MODEL (examples/observer.safetensors)
program test_alloc
  use, intrinsic :: iso_c_binding, only: c_float, c_long
  use recur
  implicit none
  interface
    subroutine alloc_begin() bind(C)
    end subroutine alloc_begin
    function alloc_end() bind(C) result(n)
      import :: c_long
      integer(c_long) :: n
    end function alloc_end
  end interface
  character(len=4096) :: model
  integer :: failures, threads

  call get_command_argument(1, model)
  failures = 0
  call counts_work(failures)
  do threads = 1, 2
    call stream_steps(threads, failures)
    call forward_with_workspace(threads, failures)
  end do
  if (failures > 0) error stop 1
  write(*, '(a)') 'no allocation in stream steps or workspace forward calls'

contains

  ! An allocatable array and a call without a workspace must be counted.
  subroutine counts_work(failures)
    integer, intent(inout) :: failures
    real(c_float), allocatable :: a(:)
    type(recur_net) :: net
    real(c_float) :: x(1, 2, 3), y(1, 2, 3)
    integer(c_long) :: n
    call recur_load(net, model)
    x = 0.5
    call alloc_begin()
    allocate(a(1000))
    a = 1
    deallocate(a)
    call recur_forward(net, x, y)
    n = alloc_end()
    if (n == 0) then
      write(*, '(a)') 'FAIL: the counter saw no allocation'
      failures = failures + 1
    end if
    call recur_free(net)
  end subroutine counts_work

  subroutine stream_steps(threads, failures)
    integer, intent(in) :: threads
    integer, intent(inout) :: failures
    integer, parameter :: batch = 3, long_call = 2000
    type(recur_net) :: net
    type(recur_stream) :: s
    real(c_float), allocatable :: x(:, :, :), y(:, :, :), h(:, :, :), c(:, :, :)
    integer(c_long) :: n
    integer :: i, st
    call recur_load(net, model)
    allocate(x(1, batch, long_call), y(1, batch, long_call), h(1, batch, 2), c(16, batch, 2))
    x = 0.25
    call recur_stream_create(s, net, batch, threads)
    call alloc_begin()
    do i = 1, 20
      call recur_stream_step(s, x(:, :, i), y(:, :, i), st)
    end do
    do i = 1, 3
      call recur_stream_step(s, x(:, :, 1:7), y(:, :, 1:7), st)
    end do
    call recur_stream_reset(s, 2, st)
    call recur_stream_get_state(s, h, c, st)
    call recur_stream_set_state(s, h, c, st)
    call recur_stream_reset(s, status=st)
    call recur_stream_step(s, x, y, st)
    n = alloc_end()
    if (st /= RECUR_OK) write(*, '(a)') recur_error_message()
    if (n /= 0 .or. st /= RECUR_OK) then
      write(*, '(a, i0, a, i0, a)') 'FAIL: ', threads, ' threads: ', n, &
        ' allocation calls in a stream''s steps'
      failures = failures + 1
    end if
    call recur_free(s)
    call recur_free(net)
  end subroutine stream_steps

  subroutine forward_with_workspace(threads, failures)
    integer, intent(in) :: threads
    integer, intent(inout) :: failures
    type(recur_net) :: net
    type(recur_workspace) :: ws
    real(c_float) :: x(1, 4, 50), y(1, 4, 50), h(1, 4, 2), c(16, 4, 2)
    integer(c_long) :: n
    integer :: i, st
    call recur_load(net, model)
    call recur_workspace_create(ws)
    x = 0.25
    h = 0
    c = 0
    call recur_forward(net, x, y, h=h, c=c, lengths=[50, 20, 3, 50], num_threads=threads, &
      workspace=ws)
    call alloc_begin()
    do i = 1, 10
      call recur_forward(net, x, y, h=h, c=c, num_threads=threads, workspace=ws, status=st)
    end do
    n = alloc_end()
    if (n /= 0 .or. st /= RECUR_OK) then
      write(*, '(a, i0, a, i0, a)') 'FAIL: ', threads, ' threads: ', n, &
        ' allocation calls in forward calls with a workspace'
      failures = failures + 1
    end if
    call recur_free(ws)
    call recur_free(net)
  end subroutine forward_with_workspace

end program test_alloc
