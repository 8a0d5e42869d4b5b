-- perfaudit for Neovim: registers the `perfaudit serve` language server.
--
--   require('perfaudit').setup({ settings = { perfaudit = { unsafeFixes = true } } })
--
-- Neovim 0.11+: `vim.lsp.config('perfaudit', ...)` + `vim.lsp.enable('perfaudit')`
-- (this plugin also ships `lsp/perfaudit.lua`, so a bare `vim.lsp.enable('perfaudit')`
-- works once it is on the runtimepath). Neovim 0.8-0.10: a FileType autocommand
-- that calls `vim.lsp.start`.
local M = {}

M.filetypes = { 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'prisma', 'dotenv' }
M.root_markers = { 'perfaudit.toml', 'package.json', '.git' }

--- The command that starts the server: `perfaudit serve` when `perfaudit` is on
--- PATH, else `python3 -m perfaudit serve`.
function M.default_cmd()
  if vim.fn.executable('perfaudit') == 1 then
    return { 'perfaudit', 'serve' }
  end
  local python = vim.fn.executable('python3') == 1 and 'python3' or 'python'
  return { python, '-m', 'perfaudit', 'serve' }
end

--- `.env` and `.env.*` files get the filetype `dotenv` (highlighted as `sh`), so
--- the server sees them (P108 reads DATABASE_URL) without attaching to every shell script.
function M.add_dotenv_filetype()
  vim.filetype.add({
    filename = { ['.env'] = 'dotenv' },
    pattern = { ['%.env%.[%w_.-]+'] = 'dotenv', ['.*/%.env%.[%w_.-]+'] = 'dotenv' },
  })
  vim.api.nvim_create_autocmd('FileType', {
    group = vim.api.nvim_create_augroup('perfaudit_dotenv', { clear = true }),
    pattern = 'dotenv',
    callback = function(args)
      vim.bo[args.buf].syntax = 'sh'
    end,
  })
end

local function settings_of(config)
  -- The server reads section `perfaudit` from workspace/configuration and the same
  -- object from initializationOptions.
  local settings = config.settings or {}
  return settings.perfaudit or settings
end

--- The client configuration, `opts` merged over the defaults.
--- opts: cmd, filetypes, root_markers, settings (`{ perfaudit = {...} }`), and any
--- other `vim.lsp.ClientConfig` field (on_attach, capabilities...).
function M.config(opts)
  opts = opts or {}
  local config = vim.tbl_extend('force', {
    cmd = M.default_cmd(),
    filetypes = M.filetypes,
    root_markers = M.root_markers,
  }, opts)
  -- An empty Lua table would be sent as a JSON array (`[]`): the server wants an object.
  local settings = vim.deepcopy(settings_of(opts))
  if next(settings) == nil then
    settings = vim.empty_dict()
  end
  config.settings = { perfaudit = settings }
  config.init_options = opts.init_options or settings
  if opts.pull_diagnostics ~= true then
    -- Neovim 0.11 pulls diagnostics (textDocument/diagnostic) but declares no
    -- workspace/diagnostic/refresh support, so findings the server computes
    -- later (after its workspace scan, or when another file changes) would
    -- not show until the buffer is edited. Without the pull capability the
    -- server pushes them as they change; and Neovim must not pull as well.
    local user_before_init, user_on_init = opts.before_init, opts.on_init
    local push = false
    config.before_init = function(params, cfg)
      local caps = params.capabilities or {}
      local refresh = caps.workspace and caps.workspace.diagnostics and caps.workspace.diagnostics.refreshSupport
      if caps.textDocument and caps.textDocument.diagnostic and not refresh then
        caps.textDocument.diagnostic = nil
        push = true
      end
      if user_before_init then
        user_before_init(params, cfg)
      end
    end
    config.on_init = function(client, result)
      if push and client.server_capabilities then
        client.server_capabilities.diagnosticProvider = nil
      end
      if user_on_init then
        return user_on_init(client, result)
      end
    end
  end
  config.dotenv, config.legacy, config.enable, config.pull_diagnostics = nil, nil, nil, nil
  return config
end

local function root_dir(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local start = name ~= '' and vim.fs.dirname(name) or vim.fn.getcwd()
  local found = vim.fs.find(markers, { path = start, upward = true })[1]
  return found and vim.fs.dirname(found) or start
end

--- Neovim 0.8-0.10 (or `legacy = true`): start or reuse the client from FileType.
local function setup_legacy(config)
  local group = vim.api.nvim_create_augroup('perfaudit_lsp', { clear = true })
  local function start(bufnr)
    local client = vim.tbl_extend('force', {}, config)
    client.name = 'perfaudit'
    client.root_dir = root_dir(bufnr, config.root_markers)
    client.filetypes, client.root_markers = nil, nil
    vim.lsp.start(client, { bufnr = bufnr })
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      start(args.buf)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      start(bufnr)
    end
  end
end

--- opts: as for `config`, plus
---   enable = false  register the configuration only (0.11+), `vim.lsp.enable` it yourself;
---   dotenv = false  leave the filetype of `.env` files alone;
---   legacy = true   use the `vim.lsp.start` path even on 0.11+.
function M.setup(opts)
  opts = opts or {}
  if opts.dotenv ~= false then
    M.add_dotenv_filetype()
  end
  local config = M.config(opts)
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil and not opts.legacy then
    vim.lsp.config('perfaudit', config)
    if opts.enable ~= false then
      vim.lsp.enable('perfaudit')
    end
  elseif vim.lsp.start ~= nil then
    setup_legacy(config)
  else
    vim.notify('perfaudit: Neovim 0.8 or newer is needed', vim.log.levels.ERROR)
  end
end

return M
