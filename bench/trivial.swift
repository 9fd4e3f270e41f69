import Glibc
// The floor: a static Swift binary that does nothing. Built with -static-stdlib like routed-hook.
exit(0)
