// Where lingerlab finds the data it ships (matrix/*.json, matrix/expected/**):
// a path the user gives is used as given when it exists; otherwise it is
// looked up, in order, under
//   1. <directory of the running binary>/<data dir relative to bin>, i.e.
//      ../share/lingerlab for an install under any prefix (relocatable: a
//      copied install tree works), and
//   2. the source tree the binary was built from (so build/bin/lingerlab in
//      a checkout works without installing).
// The first base that holds the path wins. Pure functions over paths; the
// process-wide entry point reads /proc/self/exe and the compiled-in paths.
#pragma once

#include <string>
#include <vector>

namespace lingerlab {

// The base directories to look under, in lookup order: the installed data
// directory beside `exe_path` (exe's dir / `data_from_bin`) if it exists,
// then `source_dir` if non-empty. Either may be missing from the list.
std::vector<std::string> DataSearchDirs(const std::string& exe_path,
                                        const std::string& data_from_bin,
                                        const std::string& source_dir);

// `relative` itself if it is empty, absolute or exists (in any form: the
// loader then says what is wrong with it); else the first `base/relative`
// that exists; else `relative` unchanged, so errors name the user's path.
std::string FindDataPath(const std::string& relative, const std::vector<std::string>& bases);

// FindDataPath over DataSearchDirs of this process (/proc/self/exe,
// LINGERLAB_DATA_FROM_BIN, LINGERLAB_SOURCE_DIR).
std::string FindDataPath(const std::string& relative);

}  // namespace lingerlab
