// SessionError: the one exception the session store throws for a problem with a session file
// (missing, not SQLite, not Kevo's, damaged, too new, or an SQLite error while using it).
// what() names the file and says what is wrong, ready to show to a user as is.
#pragma once

#include <stdexcept>

namespace kevo::store {

class SessionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kevo::store
