# CMake toolchain file: cross-compiles for 64-bit Windows with Debian's
# mingw-w64 (packages mingw-w64, g++-mingw-w64-x86-64). The "-posix"
# compilers use winpthreads, which std::thread needs; the "-win32" ones
# have no std::thread in gcc 12. Used by tools/build-windows.sh, which
# builds agents/ only (doc/windows.md).
#
# If a compiler is missing, CMake's first try_compile fails naming it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_ll_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_ll_mingw}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_ll_mingw}-g++-posix)
set(CMAKE_RC_COMPILER ${_ll_mingw}-windres)

# Headers and libraries of the target only; programs of the build host.
set(CMAKE_FIND_ROOT_PATH /usr/${_ll_mingw})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test programs (the error-mapping and crypto tests) run under Wine when
# ctest is asked to run them: CMake prefixes their command lines with this.
find_program(LINGERLAB_WINE NAMES wine64 wine)
if(LINGERLAB_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LINGERLAB_WINE})
endif()
