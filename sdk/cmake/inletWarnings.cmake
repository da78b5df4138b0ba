# Warnings for inlet's own targets (never exported to consumers).
function(inlet_enable_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${INLET_WARNINGS_AS_ERRORS}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
      -Wimplicit-fallthrough
      $<$<BOOL:${INLET_WARNINGS_AS_ERRORS}>:-Werror>)
  endif()
endfunction()
