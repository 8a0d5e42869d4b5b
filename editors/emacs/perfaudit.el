;;; perfaudit.el --- perfaudit language server for Eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1") (eglot "1.9"))
;; Keywords: languages, tools
;; URL: see editors/emacs/README.md in the perfaudit repository

;;; Commentary:

;; Registers `perfaudit serve' with Eglot for TypeScript, JavaScript and
;; Prisma buffers: performance findings show through Flymake, their fixes
;; as code actions (M-x eglot-code-actions), rule docs on hover (ElDoc).
;;
;;   (require 'perfaudit)
;;   (perfaudit-eglot-setup)
;;   (add-hook 'typescript-ts-mode-hook #'eglot-ensure)
;;
;; The server runs as `perfaudit serve' when `perfaudit' is on `exec-path',
;; else as `python3 -m perfaudit serve'; set `perfaudit-command' to choose.
;; Settings go in `perfaudit-settings' (sent as initializationOptions and,
;; unless the buffer's `eglot-workspace-configuration' has a :perfaudit
;; section of its own, on workspace/configuration).

;;; Code:

(require 'eglot)
(require 'cl-lib)

(defgroup perfaudit nil
  "Performance audit of Express, Prisma and Redis TypeScript backends."
  :group 'tools
  :prefix "perfaudit-")

(defcustom perfaudit-command nil
  "Command line that starts the language server, a list of strings.
nil means (\"perfaudit\" \"serve\") when `perfaudit' is on `exec-path',
else (\"python3\" \"-m\" \"perfaudit\" \"serve\")."
  :type '(choice (const :tag "Find it" nil) (repeat string)))

(defcustom perfaudit-modes
  '(typescript-mode typescript-ts-mode tsx-ts-mode
    js-mode js-ts-mode js2-mode rjsx-mode
    prisma-mode prisma-ts-mode)
  "Major modes whose buffers perfaudit checks."
  :type '(repeat symbol))

(defcustom perfaudit-settings nil
  "Server settings, a plist such as
  (:ignore [\"E302\"] :severity (:P102 \"error\") :unsafeFixes t)
Keys: :enable, :select, :ignore, :exclude, :severity, :rules,
:unsafeFixes, :trace (\"off\", \"messages\", \"verbose\"), :debounceMs.
Use vectors for JSON arrays and `:json-false' for false."
  :type 'plist)

(defvar perfaudit--user-configuration nil
  "The default `eglot-workspace-configuration' before `perfaudit-eglot-setup'.")

(defun perfaudit--command ()
  (or perfaudit-command
      (if (executable-find "perfaudit")
          (list "perfaudit" "serve")
        (list (or (executable-find "python3") "python") "-m" "perfaudit" "serve"))))

(defun perfaudit--contact (&optional _interactive)
  "The Eglot contact: the server command and its initializationOptions."
  (append (perfaudit--command)
          (list :initializationOptions (lambda (_server) (or perfaudit-settings (make-hash-table))))))

(defun perfaudit--workspace-configuration (server)
  "The user's workspace configuration for SERVER, plus :perfaudit.
The :perfaudit section comes from `perfaudit-settings' unless the
user's own configuration has one."
  (let ((given (if (functionp perfaudit--user-configuration)
                   (funcall perfaudit--user-configuration server)
                 perfaudit--user-configuration)))
    (if (plist-member given :perfaudit)
        given
      (append (list :perfaudit (or perfaudit-settings (make-hash-table))) given))))

;;;###autoload
(defun perfaudit-eglot-setup ()
  "Add perfaudit to `eglot-server-programs' for `perfaudit-modes'."
  (interactive)
  (setq eglot-server-programs
        (cons (cons perfaudit-modes #'perfaudit--contact)
              (cl-remove #'perfaudit--contact eglot-server-programs :key #'cdr)))
  (unless (eq (default-value 'eglot-workspace-configuration) #'perfaudit--workspace-configuration)
    (setq perfaudit--user-configuration (default-value 'eglot-workspace-configuration))
    (setq-default eglot-workspace-configuration #'perfaudit--workspace-configuration)))

;;;###autoload
(defun perfaudit-fix-all ()
  "Apply every safe perfaudit fix of the buffer.
This is the code action of kind `source.fixAll.perfaudit'."
  (interactive)
  (eglot-code-actions (point-min) (point-max) "source.fixAll.perfaudit" t))

(provide 'perfaudit)
;;; perfaudit.el ends here
