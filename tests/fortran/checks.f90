! Check counting shared by the Fortran tests (test_forward.f90, test_errors.f90): expect counts
! a check and prints it when it fails; report_checks prints the counts and fails the program
! when any check failed.
module checks
  implicit none
  private
  public :: expect, report_checks

  integer :: failures = 0, checks_run = 0

contains

  ! Counts a check; prints it when it fails.
  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    checks_run = checks_run + 1
    if (.not. ok) then
      failures = failures + 1
      write(*, '(a)') 'FAIL: ' // what
    end if
  end subroutine expect

  ! Prints how many checks ran and failed; error stop when any failed.
  subroutine report_checks()
    write(*, '(i0, a, i0, a)') checks_run, ' checks, ', failures, ' failed'
    if (failures > 0) error stop 1
  end subroutine report_checks

end module checks
