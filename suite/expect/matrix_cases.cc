#include "suite/expect/matrix_cases.h"

namespace lingerlab {

const std::vector<MatrixCase>& MatrixCases() {
  static const std::vector<MatrixCase> kCases = {
      {"01", "idle-client__no-linger"},
      {"02", "slow-client__no-linger"},
      {"03", "slow-client__linger-lsock-0"},
      {"04", "slow-client__linger-csock-0"},
      {"05", "idle-client__linger-lsock-20"},
      {"06", "slow-client__linger-lsock-20"},
      {"07", "fast-client__linger-lsock-20"},
      {"08", "idle-client__linger-csock-20"},
      {"09", "slow-client__linger-csock-20"},
      {"10", "fast-client__linger-csock-20"},
      {"11", "fast-client__no-linger__shutdown"},
      {"12", "slow-client__no-linger__shutdown"},
      {"13", "idle-client__no-linger__shutdown"},
      {"14", "fast-client__no-linger__shutdown-10"},
      {"15", "slow-client__no-linger__shutdown-10"},
      {"16", "idle-client__no-linger__shutdown-10"},
      {"17", "fast-client__linger-lsock-0__shutdown"},
      {"18", "fast-client__linger-csock-0__shutdown"},
      {"19", "slow-client__linger-lsock-0__shutdown"},
      {"20", "slow-client__linger-lsock-0__shutdown-10"},
      {"21", "slow-client__linger-csock-0__shutdown"},
      {"22", "slow-client__linger-csock-0__shutdown-10"},
      {"23", "fast-client__linger-lsock-0__shutdown-10"},
      {"24", "fast-client__linger-lsock-20__shutdown"},
      {"25", "slow-client__linger-lsock-20__shutdown"},
      {"26", "slow-client__linger-lsock-20__shutdown-10"},
      {"27", "fast-client__linger-csock-20__shutdown"},
      {"28", "slow-client__linger-csock-20__shutdown"},
      {"29", "fast-client__linger-csock-20__shutdown-10"},
      {"30", "slow-client__linger-csock-20__shutdown-10"},
      {"31", "slow-client__linger-csock_late-0__shutdown-10"},
      {"32", "slow-client__linger-csock_late-20__shutdown-10"},
      {"33", "idle-client__linger-lsock-0"},
      {"34", "idle-client__linger-lsock-0__shutdown-10"},
  };
  return kCases;
}

const MatrixCase* FindMatrixCase(std::string_view id) {
  for (const MatrixCase& c : MatrixCases()) {
    if (id == c.id) return &c;
  }
  return nullptr;
}

}  // namespace lingerlab
