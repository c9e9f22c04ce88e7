! A failure without a status argument: recur_load of a missing file must print the message on
! error_unit and end the program with error stop (test_errors runs this and checks both).
program error_stop
  use recur
  implicit none
  type(recur_net) :: net
  call recur_load(net, 'no_such_model.safetensors')
  write(*, '(a)') 'not reached'
end program error_stop
