-- Run by tests/editors/test_nvim.py: nvim --headless -u nvim_check.lua -i NONE -n FILE
-- Loads editors/nvim, waits for perfaudit's diagnostics, applies one quick fix
-- through vim.lsp.buf.code_action and waits for the diagnostic to go away.
-- Writes what it saw to $PERFAUDIT_OUT (JSON); exits 0 on success, 1 on failure.
local env = vim.env
vim.opt.runtimepath:prepend(env.PERFAUDIT_PLUGIN)
vim.opt.swapfile = false
vim.lsp.set_log_level(env.PERFAUDIT_LSP_LOG == 'debug' and vim.log.levels.DEBUG or vim.log.levels.WARN)

local t0 = vim.uv.hrtime()
local function elapsed()
  return (vim.uv.hrtime() - t0) / 1e9
end

local result = { steps = {}, messages = {} }
-- What the server shows the user (window/showMessage).
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
  table.insert(result.messages, { message = params.message, type = params.type })
  return show_message(err, params, ctx, config)
end
local function step(name)
  table.insert(result.steps, { name = name, t = elapsed() })
end

local function finish(ok, err)
  result.ok = ok
  result.error = err
  result.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  local f = assert(io.open(env.PERFAUDIT_OUT, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  if ok then
    vim.cmd('qall!')
  else
    vim.cmd('cquit 1')
  end
end

local mode = env.PERFAUDIT_MODE -- 'config' (vim.lsp.config + enable), 'start' (vim.lsp.start), 'enable' (lsp/perfaudit.lua)
local cmd = vim.json.decode(env.PERFAUDIT_CMD)
if mode == 'enable' then
  vim.lsp.config('perfaudit', { cmd = cmd, settings = { perfaudit = { unsafeFixes = true } } })
  vim.lsp.enable('perfaudit')
elseif mode == 'two-line' then
  -- The README's two-line setup: no settings at all (only the test's server command).
  vim.lsp.config('perfaudit', { cmd = cmd })
  vim.lsp.enable('perfaudit')
else
  require('perfaudit').setup({
    cmd = cmd,
    legacy = mode == 'start',
    settings = { perfaudit = { unsafeFixes = true } },
  })
end

local function ours(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'perfaudit' then
      table.insert(out, { code = d.code, lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, message = d.message })
    end
  end
  table.sort(out, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and tostring(a.code) < tostring(b.code))
  end)
  return out
end

local function key_set(diags)
  local keys = {}
  for _, d in ipairs(diags) do
    table.insert(keys, string.format('%d:%s', d.lnum + 1, d.code))
  end
  return table.concat(keys, ',')
end

local function find(diags, code, lnum)
  for _, d in ipairs(diags) do
    if d.code == code and d.lnum == lnum then
      return d
    end
  end
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    local ok, err = pcall(function()
      local bufnr = vim.api.nvim_get_current_buf()
      local expected = env.PERFAUDIT_EXPECT -- "110:P104,122:A404,27:P102" sorted like key_set
      local fix_code, fix_line = env.PERFAUDIT_FIX_CODE, tonumber(env.PERFAUDIT_FIX_LINE) - 1
      local fix_title = env.PERFAUDIT_FIX_TITLE
      if not vim.wait(20000, function()
        return #vim.lsp.get_clients({ bufnr = bufnr, name = 'perfaudit' }) > 0
      end, 20) then
        error('perfaudit never attached to the buffer (filetype ' .. vim.bo.filetype .. ')')
      end
      step('attached')
      -- The open file is checked first, the workspace scan adds cross-file facts: wait for the full set.
      if not vim.wait(tonumber(env.PERFAUDIT_WAIT_MS or '20000'), function()
        return key_set(ours(bufnr)) == expected
      end, 20) then
        result.before = ours(bufnr)
        error('diagnostics ' .. key_set(ours(bufnr)) .. ' never became ' .. expected)
      end
      step('diagnostics')
      result.before = ours(bufnr)
      local target = find(result.before, fix_code, fix_line)
      vim.api.nvim_win_set_cursor(0, { target.lnum + 1, target.col })
      local before_text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
      local titles = {}
      vim.lsp.buf.code_action({
        apply = true,
        context = { only = { 'quickfix' } },
        filter = function(action)
          table.insert(titles, action.title)
          return action.title:find(fix_title, 1, true) ~= nil
        end,
      })
      result.titles = titles
      if not vim.wait(10000, function()
        return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') ~= before_text
      end, 20) then
        error('the quick fix did not change the buffer; actions offered: ' .. vim.inspect(titles))
      end
      step('fixed')
      if not vim.wait(10000, function()
        local now = ours(bufnr)
        for _, d in ipairs(now) do
          if d.code == fix_code then
            return false
          end
        end
        return true
      end, 20) then
        result.after = ours(bufnr)
        error('the ' .. fix_code .. ' diagnostic did not go away after the fix: ' .. key_set(ours(bufnr)))
      end
      step('cleared')
      result.after = ours(bufnr)
      result.modified = vim.bo[bufnr].modified
    end)
    finish(ok, not ok and tostring(err) or nil)
  end,
})
