-- Neovim 0.11+: `vim.lsp.enable('perfaudit')` reads this file from the runtimepath.
-- Override any field with `vim.lsp.config('perfaudit', {...})`.
return require('perfaudit').config()
