/* An application that embeds Python, as R's reticulate or a 3D suite does: it handles SIGINT,
 * SIGTERM and SIGHUP itself, in C, before Python starts (Python then leaves them to it:
 * signal.getsignal() says None), then runs a Python file.
 * Usage: embedding_host PYTHON_EXECUTABLE SCRIPT (the Python whose installation to use). */
#include <Python.h>
#include <signal.h>
#include <string.h>

static void on_signal(int signum) { (void)signum; }

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;
    PyConfig_SetBytesString(&config, &config.program_name, argv[1]);
    PyConfig_SetBytesArgv(&config, argc - 2, argv + 2);
    PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) return 3;
    FILE *script = fopen(argv[2], "r");
    if (script == NULL) return 4;
    int failed = PyRun_SimpleFile(script, argv[2]);
    fclose(script);
    if (Py_FinalizeEx() < 0) return 5;
    return failed ? 1 : 0;
}
