# What inlet::main needs beyond the core: cpp-httplib, which serves
# `--metrics-address`. Shared by the SDK's own build and inletConfig.cmake.
# Defines inlet::cpp_httplib when found, and nothing otherwise.
#
# Where cpp-httplib installs its own CMake package (Homebrew, vcpkg, a source
# build; header-only there), that is used. Debian's libcpp-httplib-dev has
# no CMake package and is not header-only: its httplib.h declares, and
# libcpp-httplib.so defines, with CPPHTTPLIB_*_SUPPORT definitions that must
# match the library's; its pkg-config file (cpp-httplib) carries both.
if(NOT TARGET inlet::cpp_httplib)
  find_package(httplib CONFIG QUIET)
  if(TARGET httplib::httplib)
    add_library(inlet::cpp_httplib INTERFACE IMPORTED)
    target_link_libraries(inlet::cpp_httplib INTERFACE httplib::httplib)
  else()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(INLET_CPP_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
    endif()
    if(INLET_CPP_HTTPLIB_FOUND)
      add_library(inlet::cpp_httplib INTERFACE IMPORTED)
      target_link_libraries(inlet::cpp_httplib INTERFACE PkgConfig::INLET_CPP_HTTPLIB)
    endif()
  endif()
endif()
