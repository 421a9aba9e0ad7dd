/// Linux values Glibc as Swift imports it lacks (it is built without _GNU_SOURCE).
let O_PATH: Int32 = 0o10000000
let AT_EMPTY_PATH: Int32 = 0x1000
