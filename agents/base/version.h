// lingerlab's version and the git commit it was built from. CMake defines
// both for the two programs (agent and coordinator), which report them in the
// handshake and in every results file; these fallbacks keep other builds honest.
#pragma once

#ifndef LINGERLAB_VERSION
#define LINGERLAB_VERSION "0.0.0"
#endif
#ifndef LINGERLAB_GIT_COMMIT
#define LINGERLAB_GIT_COMMIT "unknown"
#endif
