# Flags for our own targets only (tests, examples, benchmarks); never on the INTERFACE target.
if(SUBSPACE_USE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(SUBSPACE_CCACHE ccache)
  if(SUBSPACE_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${SUBSPACE_CCACHE})
  endif()
endif()

function(subspace_own_target target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${SUBSPACE_WARNINGS_AS_ERRORS}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
      $<$<BOOL:${SUBSPACE_WARNINGS_AS_ERRORS}>:-Werror>)
  endif()
  if(SUBSPACE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${SUBSPACE_SANITIZE}
      -fno-sanitize-recover=all -fno-omit-frame-pointer)
    if(SUBSPACE_NO_SANITIZE)
      target_compile_options(${target} PRIVATE -fno-sanitize=${SUBSPACE_NO_SANITIZE})
    endif()
    target_link_options(${target} PRIVATE -fsanitize=${SUBSPACE_SANITIZE})
  endif()
endfunction()
