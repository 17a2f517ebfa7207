#ifndef GENRE_CLIBPQ_SHIM_H
#define GENRE_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
