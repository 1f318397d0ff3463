#include "agents/lwip/lwip_errno.h"

#include <cerrno>

namespace lingerlab {

int HostErrnoFromLwip(int lwip_err) {
  namespace e = lwip_errno;
  switch (lwip_err) {
    case e::kEPERM:
      return EPERM;
    case e::kENOENT:
      return ENOENT;
    case e::kEINTR:
      return EINTR;
    case e::kEIO:
      return EIO;
    case e::kEBADF:
      return EBADF;
    case e::kEAGAIN:
      return EWOULDBLOCK;
    case e::kENOMEM:
      return ENOMEM;
    case e::kEFAULT:
      return EFAULT;
    case e::kEBUSY:
      return EBUSY;
    case e::kEINVAL:
      return EINVAL;
    case e::kENFILE:
      return ENFILE;
    case e::kEMFILE:
      return EMFILE;
    case e::kEPIPE:
      return EPIPE;
    case e::kENOTSOCK:
      return ENOTSOCK;
    case e::kEDESTADDRREQ:
      return EDESTADDRREQ;
    case e::kEMSGSIZE:
      return EMSGSIZE;
    case e::kENOPROTOOPT:
      return ENOPROTOOPT;
    case e::kEOPNOTSUPP:
      return EOPNOTSUPP;
    case e::kEAFNOSUPPORT:
      return EAFNOSUPPORT;
    case e::kEADDRINUSE:
      return EADDRINUSE;
    case e::kEADDRNOTAVAIL:
      return EADDRNOTAVAIL;
    case e::kENETDOWN:
      return ENETDOWN;
    case e::kENETUNREACH:
      return ENETUNREACH;
    case e::kECONNABORTED:
      return ECONNABORTED;
    case e::kECONNRESET:
      return ECONNRESET;
    case e::kENOBUFS:
      return ENOBUFS;
    case e::kEISCONN:
      return EISCONN;
    case e::kENOTCONN:
      return ENOTCONN;
    case e::kETIMEDOUT:
      return ETIMEDOUT;
    case e::kECONNREFUSED:
      return ECONNREFUSED;
    case e::kEHOSTUNREACH:
      return EHOSTUNREACH;
    case e::kEALREADY:
      return EALREADY;
    case e::kEINPROGRESS:
      return EINPROGRESS;
    default:
      return lwip_err;
  }
}

}  // namespace lingerlab
