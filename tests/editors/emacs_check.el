;;; emacs_check.el --- run by tests/editors/test_emacs.py  -*- lexical-binding: t; -*-
;; emacs --batch -l emacs_check.el FILE
;; Loads editors/emacs/perfaudit.el, starts eglot, waits for perfaudit's
;; diagnostics through flymake, applies one quick fix through
;; `eglot-code-actions' and waits for its diagnostic to go away. Writes what it
;; saw to $PERFAUDIT_OUT (JSON) and exits 0 on success, 1 on failure.

(require 'cl-lib)
(require 'json)
(require 'subr-x)
(require 'eglot)
(require 'flymake)
(add-to-list 'load-path (getenv "PERFAUDIT_PLUGIN"))
(require 'perfaudit)

(setq make-backup-files nil
      create-lockfiles nil
      auto-save-default nil
      eglot-sync-connect 30
      eglot-connect-timeout 60
      eglot-autoshutdown t)

;; Emacs 28 has no TypeScript mode: a minimal one (users install typescript-mode
;; or use typescript-ts-mode on 29+).
(unless (fboundp 'typescript-mode)
  (define-derived-mode typescript-mode prog-mode "TypeScript"))
(add-to-list 'auto-mode-alist '("\\.ts\\'" . typescript-mode))

;; The copy of the backend is no VCS checkout: its root is where package.json is.
(defun perfaudit-check--project (dir)
  (let ((root (locate-dominating-file dir "package.json")))
    (and root (cons 'transient root))))
(add-hook 'project-find-functions #'perfaudit-check--project)

(setq perfaudit-command (json-read-from-string (getenv "PERFAUDIT_CMD"))
      perfaudit-command (append perfaudit-command nil)
      perfaudit-settings '(:unsafeFixes t))
(perfaudit-eglot-setup)

(defvar perfaudit-check--t0 (float-time))
(defvar perfaudit-check--result (list (cons 'steps nil)))

(defun perfaudit-check--put (key value)
  (setf (alist-get key perfaudit-check--result) value))

(defun perfaudit-check--step (name)
  (perfaudit-check--put 'steps (vconcat (alist-get 'steps perfaudit-check--result)
                                        (list `((name . ,name) (t . ,(- (float-time) perfaudit-check--t0)))))))

(defun perfaudit-check--ours ()
  "Perfaudit's flymake diagnostics: 1-based line, 0-based column, code, message."
  (let (out)
    (dolist (d (flymake-diagnostics))
      (let ((lsp (cdr (assoc 'eglot-lsp-diag (eglot--diag-data d)))))
        (when (and lsp (equal (plist-get lsp :source) "perfaudit"))
          (save-excursion
            (goto-char (flymake-diagnostic-beg d))
            (push `((line . ,(line-number-at-pos))
                    (col . ,(- (point) (line-beginning-position)))
                    (code . ,(plist-get lsp :code))
                    (type . ,(symbol-name (flymake-diagnostic-type d)))
                    (message . ,(flymake-diagnostic-text d)))
                  out)))))
    (sort out (lambda (a b) (or (< (alist-get 'line a) (alist-get 'line b))
                                (and (= (alist-get 'line a) (alist-get 'line b))
                                     (string< (alist-get 'code a) (alist-get 'code b))))))))

(defun perfaudit-check--keys (diags)
  (mapconcat (lambda (d) (format "%d:%s" (alist-get 'line d) (alist-get 'code d))) diags ","))

(defun perfaudit-check--wait (seconds predicate)
  "Pump the event loop until PREDICATE holds or SECONDS pass; flush what idle timers would."
  (let ((deadline (+ (float-time) seconds)) ok)
    (while (and (not (setq ok (funcall predicate))) (< (float-time) deadline))
      ;; Batch mode runs no idle timers: send didChange and ask flymake by hand.
      (when eglot--managed-mode
        (eglot--signal-textDocument/didChange))
      (when flymake-mode
        (flymake-start))
      (accept-process-output nil 0.02))
    ok))

(defun perfaudit-check--finish (ok err)
  (perfaudit-check--put 'ok (if ok t :json-false))
  (perfaudit-check--put 'error err)
  (perfaudit-check--put 'text (buffer-substring-no-properties (point-min) (point-max)))
  (with-temp-file (getenv "PERFAUDIT_OUT")
    (insert (json-encode perfaudit-check--result)))
  (kill-emacs (if ok 0 1)))

(let* ((expected (getenv "PERFAUDIT_EXPECT"))
       (fix-code (getenv "PERFAUDIT_FIX_CODE"))
       (fix-line (string-to-number (getenv "PERFAUDIT_FIX_LINE")))
       (fix-title (getenv "PERFAUDIT_FIX_TITLE"))
       (file (car (last command-line-args-left)))
       (ok nil) (err nil))
  (setq command-line-args-left nil)
  (condition-case e
      (progn
        (find-file file)
        (perfaudit-check--put 'mode (symbol-name major-mode))
        (apply #'eglot (eglot--guess-contact))
        (unless (perfaudit-check--wait 30 (lambda () eglot--managed-mode))
          (error "eglot never managed the buffer"))
        (perfaudit-check--step "attached")
        (unless (perfaudit-check--wait 30 (lambda () (equal (perfaudit-check--keys (perfaudit-check--ours)) expected)))
          (perfaudit-check--put 'before (vconcat (perfaudit-check--ours)))
          (error "diagnostics %s never became %s" (perfaudit-check--keys (perfaudit-check--ours)) expected))
        (perfaudit-check--step "diagnostics")
        (perfaudit-check--put 'before (vconcat (perfaudit-check--ours)))
        (let* ((target (cl-find-if (lambda (d) (and (equal (alist-get 'code d) fix-code)
                                                    (= (alist-get 'line d) fix-line)))
                                   (perfaudit-check--ours)))
               (before-text (buffer-string))
               (titles nil))
          (goto-char (point-min))
          (forward-line (1- fix-line))
          (forward-char (alist-get 'col target))
          ;; Interactively eglot offers the actions in a completing-read menu: pick the fix.
          (let ((last-nonmenu-event ?\r))
            (cl-letf (((symbol-function 'completing-read)
                       (lambda (_prompt items &rest _)
                         (setq titles (mapcar #'car items))
                         (car (cl-find-if (lambda (i) (string-match-p (regexp-quote fix-title) (car i))) items)))))
              (eglot-code-actions (point) nil "quickfix" t)))
          (perfaudit-check--put 'titles (vconcat titles))
          (unless (perfaudit-check--wait 10 (lambda () (not (equal (buffer-string) before-text))))
            (error "the quick fix did not change the buffer; actions offered: %S" titles))
          (perfaudit-check--step "fixed")
          (unless (perfaudit-check--wait 15 (lambda ()
                                              (let ((now (perfaudit-check--ours)))
                                                (and now (not (cl-find fix-code now :key (lambda (d) (alist-get 'code d)) :test #'equal))))))
            (perfaudit-check--put 'after (vconcat (perfaudit-check--ours)))
            (error "the %s diagnostic did not go away after the fix: %s" fix-code (perfaudit-check--keys (perfaudit-check--ours))))
          (perfaudit-check--step "cleared")
          (perfaudit-check--put 'after (vconcat (perfaudit-check--ours)))
          (perfaudit-check--put 'modified (if (buffer-modified-p) t :json-false))
          (setq ok t)))
    (error (setq err (error-message-string e))))
  ;; The server's side of the conversation, for a failure message.
  (let ((events (cl-find-if (lambda (b) (string-match-p "\\*EGLOT .* events\\*" (buffer-name b))) (buffer-list))))
    (when events
      (with-current-buffer events
        (perfaudit-check--put 'events (buffer-substring-no-properties (max (point-min) (- (point-max) 6000)) (point-max))))))
  (perfaudit-check--finish ok err))
