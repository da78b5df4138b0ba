# Warnings for inlet's own targets (never exported to consumers).
function(inlet_enable_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${INLET_WARNINGS_AS_ERRORS}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
      -Wimplicit-fallthrough
      $<$<BOOL:${INLET_WARNINGS_AS_ERRORS}>:-Werror>)
    # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s std::string for
    # `"text" + string` (GCC bug 105329), a false positive that fails the
    # release preset's tests.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
       AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
  endif()
endfunction()
