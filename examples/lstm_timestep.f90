! An LSTM inside a time-stepping loop: recur's Fortran binding (fortran/recur.f90) streaming
! one step at a time.
!
! Four damped oscillators x'' = -w^2 x - g x' + u are integrated side by side (semi-implicit
! Euler, dt = 0.05). Only their positions are measured. Each step, the positions go into an
! LSTM stream (one row per oscillator) that was trained to estimate velocity from position
! (examples/observer.safetensors, made by examples/make_observer.py), and a controller pushes
! against the estimated velocity, u = -k * v_est, which damps the oscillators it does not see
! the velocity of. An uncontrolled copy runs beside each for comparison.
!
!     inc=$(pkg-config --variable=includedir recur)
!     gfortran -O2 "$inc/recur.f90" examples/lstm_timestep.f90 $(pkg-config --libs recur) \
!       -o lstm_timestep
!     ./lstm_timestep examples/observer.safetensors [OUT_DIR]
!
! With OUT_DIR it also writes what went through the LSTM, as recur run reads and writes it:
! OUT_DIR/x.npy (T, B, 1) the positions fed in, y.npy (T, B, 1) the LSTM's outputs, and its
! final state h.npy (L, B, 1) and c.npy (L, B, H). `recur run MODEL x.npy -o y.npy --hn h.npy
! --cn c.npy` over the whole sequence gives the same bytes (meson test fortran_example).
program lstm_timestep
  use, intrinsic :: iso_c_binding, only: c_float
  use recur
  implicit none

  integer, parameter :: dp = kind(1.0d0)
  integer, parameter :: batch = 4, steps = 400, warmup = 20
  real(dp), parameter :: dt = 0.05_dp, gain = 0.6_dp
  real(dp), parameter :: w(batch) = [0.7_dp, 1.0_dp, 1.4_dp, 1.9_dp]  ! angular frequencies
  real(dp), parameter :: g(batch) = [0.05_dp, 0.1_dp, 0.0_dp, 0.05_dp] ! natural damping

  type(recur_net) :: net
  type(recur_stream) :: stream
  type(recur_desc) :: desc
  real(c_float) :: obs(1, batch), v_est(1, batch)        ! one step: x(I, B), y(H_out, B)
  real(c_float), allocatable :: xs(:, :, :), ys(:, :, :) ! the whole run: (1, B, T)
  real(c_float), allocatable :: h(:, :, :), c(:, :, :)   ! final state (H_out, B, L), (H, B, L)
  real(dp) :: x(batch), v(batch), u(batch), x_free(batch), v_free(batch), err2
  character(len=4096) :: model, out_dir
  character(len=*), parameter :: outputs(4) = ['x.npy', 'y.npy', 'h.npy', 'c.npy']
  integer :: t, nargs

  nargs = command_argument_count()
  if (nargs < 1 .or. nargs > 2) then
    write(*, '(a)') 'usage: lstm_timestep MODEL.safetensors [OUT_DIR]'
    error stop 2
  end if
  call get_command_argument(1, model)
  out_dir = ''
  if (nargs == 2) call get_command_argument(2, out_dir)

  ! No status argument: any failure prints recur's message and stops the program. The outputs
  ! are checked first, so that a run does not end in a folder it cannot write.
  if (len_trim(out_dir) > 0) then
    do t = 1, size(outputs)
      call recur_npy_save_check(trim(out_dir) // '/' // outputs(t))
    end do
  end if
  call recur_load(net, model)
  call recur_describe(net, desc)
  call recur_stream_create(stream, net, batch)
  allocate(xs(1, batch, steps), ys(1, batch, steps))

  x = [1.0_dp, -0.5_dp, 0.8_dp, 0.3_dp]
  v = 0
  x_free = x
  v_free = v
  err2 = 0
  write(*, '(a)') '   t   energy (LSTM-damped)   energy (free)   v_est - v'
  do t = 1, steps
    obs(1, :) = real(x, c_float)
    call recur_stream_step(stream, obs, v_est)       ! the LSTM's estimate of v, per row
    xs(:, :, t) = obs
    ys(:, :, t) = v_est
    u = 0
    if (t > warmup) then                             ! after enough history to trust it
      u = -gain * v_est(1, :)
      err2 = err2 + sum((v_est(1, :) - v)**2)
    end if
    v = v + dt * (-w**2 * x - g * v + u)             ! the same step the LSTM was trained on
    x = x + dt * v
    v_free = v_free + dt * (-w**2 * x_free - g * v_free)
    x_free = x_free + dt * v_free
    if (mod(t, 50) == 0) write(*, '(i4, 2es20.4, es14.3)') t, energy(x, v), &
      energy(x_free, v_free), v_est(1, 1) - v(1)
  end do
  write(*, '(a, f6.3)') 'rms velocity error of the LSTM observer after warm-up: ', &
    sqrt(err2 / (batch * (steps - warmup)))

  if (len_trim(out_dir) > 0) then
    allocate(h(desc%proj_size, batch, desc%num_layers), c(desc%hidden_size, batch, desc%num_layers))
    call recur_stream_get_state(stream, h, c)
    call recur_npy_save(trim(out_dir) // '/' // outputs(1), xs)
    call recur_npy_save(trim(out_dir) // '/' // outputs(2), ys)
    call recur_npy_save(trim(out_dir) // '/' // outputs(3), h)
    call recur_npy_save(trim(out_dir) // '/' // outputs(4), c)
    deallocate(h, c)
  end if
  call recur_free(stream)
  call recur_free(net)
  deallocate(xs, ys) ! a main program's arrays live to its end unless freed

contains

  ! Total energy of all the oscillators.
  pure function energy(x, v) result(e)
    real(dp), intent(in) :: x(batch), v(batch)
    real(dp) :: e
    e = 0.5_dp * sum(v**2 + w**2 * x**2)
  end function energy

end program lstm_timestep
