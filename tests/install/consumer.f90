! The Fortran side of the install test (tests/install/run.sh): compiled as a user compiles it,
! with the installed recur.f90 and `pkg-config --libs recur`, nothing from the source tree. It
! loads a model (argument 1), streams an input one step at a time and checks that the outputs
! are those of one recur_forward over the whole sequence, bit for bit.
program consumer
  use, intrinsic :: iso_c_binding, only: c_float, c_int32_t
  use recur
  implicit none
  integer, parameter :: batch = 2, steps = 6
  type(recur_net) :: net
  type(recur_stream) :: s
  type(recur_desc) :: d
  character(len=4096) :: model
  real(c_float), allocatable :: x(:, :, :), y(:, :, :), y_stream(:, :, :)
  integer :: t

  call get_command_argument(1, model)
  if (recur_version() /= RECUR_VERSION_STRING) then
    write(*, '(a)') 'library ' // recur_version() // ', module ' // RECUR_VERSION_STRING
    error stop 1
  end if
  call recur_load(net, model)
  call recur_describe(net, d)
  allocate(x(d%input_size, batch, steps), y(d%proj_size, batch, steps))
  allocate(y_stream(d%proj_size, batch, steps))
  x = reshape([(0.1 * t - 0.5, t = 1, size(x))], shape(x))
  call recur_forward(net, x, y)
  call recur_stream_create(s, net, batch)
  do t = 1, steps
    call recur_stream_step(s, x(:, :, t), y_stream(:, :, t))
  end do
  call recur_free(s)
  call recur_free(net)
  if (any(transfer(y, 0_c_int32_t, size(y)) /= transfer(y_stream, 0_c_int32_t, size(y)))) then
    write(*, '(a)') 'the stream differs from recur_forward'
    error stop 1
  end if
  write(*, '(a)') 'fortran consumer: stream = forward, bit for bit'
  deallocate(x, y, y_stream) ! a main program's allocatables are not freed at its end
end program consumer
