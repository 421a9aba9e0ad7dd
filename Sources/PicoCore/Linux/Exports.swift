// Every module that speaks to guests uses Linux's numbers; PicoCore's
// users get them with it.
@_exported import LinuxABI
