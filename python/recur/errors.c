/* recur.RecurError: what recur itself refused (a malformed model file, a memory limit, ...),
 * with the pinned recur_status as .status, its name as .name and recur_last_error() as
 * .detail. */
#include <string.h>

#include "pyrecur.h"

PyObject *recur_py_error;

PyDoc_STRVAR(error_doc,
"An error reported by the recur library.\n"
"\n"
"Attributes:\n"
"    status: the recur_status code (an int, negative; pinned in recur.h)\n"
"    name:   its name, e.g. 'RECUR_ERR_BAD_FILE'\n"
"    detail: recur's one-line detail, e.g. 'weight_hh_l1: shape (64, 16), expected (64, 17)'\n"
"\n"
"Arguments that cannot be right (a wrong type or shape, a closed net) raise TypeError or\n"
"ValueError before recur is called; RecurError is what recur refuses: a model file, a\n"
"memory limit, an instruction set this CPU lacks.");

/* A status's name, the part of recur_status_string before the colon: "RECUR_ERR_BAD_FILE". */
static PyObject *status_name(recur_status status) {
  const char *text = recur_status_string(status), *colon = strchr(text, ':');
  return PyUnicode_FromStringAndSize(text, colon ? colon - text : (Py_ssize_t)strlen(text));
}

/* recur.h's statuses as module constants, without "RECUR_" (ERR_BAD_FILE = -8, ...): what
 * RecurError.status holds. */
static int add_statuses(PyObject *module) {
  for (int s = RECUR_ERR_NULL_POINTER; s >= RECUR_ERR_INTERNAL; s--) {
    PyObject *name = status_name((recur_status)s);
    const char *utf8 = name ? PyUnicode_AsUTF8(name) : NULL;
    int rc = utf8 ? PyModule_AddIntConstant(module, utf8 + strlen("RECUR_"), s) : -1;
    Py_XDECREF(name);
    if (rc < 0) return -1;
  }
  return 0;
}

int recur_py_error_init(PyObject *module) {
  /* Class attributes, so that a RecurError raised by hand still has them. */
  PyObject *attrs = Py_BuildValue("{sOsOsO}", "status", Py_None, "name", Py_None,
                                  "detail", Py_None);
  if (!attrs) return -1;
  recur_py_error = PyErr_NewExceptionWithDoc("recur.RecurError", error_doc, NULL, attrs);
  Py_DECREF(attrs);
  if (!recur_py_error) return -1;
  Py_INCREF(recur_py_error);
  if (PyModule_AddObject(module, "RecurError", recur_py_error) < 0) return -1;
  return add_statuses(module);
}

static int set_attr(PyObject *exc, const char *name, PyObject *value) {
  if (!value) return -1;
  int rc = PyObject_SetAttrString(exc, name, value);
  Py_DECREF(value);
  return rc;
}

PyObject *recur_py_raise(recur_status status) {
  const char *text = recur_status_string(status);
  const char *detail = recur_last_error();
  PyObject *message = *detail ? PyUnicode_FromFormat("%s (%s)", detail, text)
                              : PyUnicode_FromString(text);
  if (!message) return NULL;
  PyObject *exc = PyObject_CallOneArg(recur_py_error, message);
  Py_DECREF(message);
  if (!exc) return NULL;
  if (set_attr(exc, "status", PyLong_FromLong(status)) < 0 ||
      set_attr(exc, "name", status_name(status)) < 0 ||
      set_attr(exc, "detail", PyUnicode_DecodeUTF8(detail, (Py_ssize_t)strlen(detail),
                                                   "replace")) < 0) {
    Py_DECREF(exc);
    return NULL;
  }
  PyErr_SetObject(recur_py_error, exc);
  Py_DECREF(exc);
  return NULL;
}
