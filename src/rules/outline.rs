//! A light scanner that outlines the top level of a rule file: function definitions (name,
//! parameter count, position), `const` declarations and stray statements.
//!
//! Rhai's public API tells which functions an [`AST`](rhai::AST) defines but not where, and
//! hides its top-level statements; both are needed to report load errors as
//! `path:line:col`. The scanner only runs on sources Rhai has already compiled, so it can
//! stay simple: it skips comments (nested block comments included), string literals
//! (`"…"`, raw `#"…"#`, back-tick strings with `${…}` interpolation) and character
//! literals, and tracks bracket depth. Positions are 1-based, counted in characters, as
//! Rhai counts them.

/// A top-level `fn` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FnItem {
    pub name: String,
    pub arity: usize,
    /// `fn Type.name(…)` (a method on `this`): never a hook.
    pub is_method: bool,
    /// Position of the function name.
    pub line: usize,
    pub column: usize,
}

/// A top-level `const` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConstItem {
    pub name: String,
    /// Position of the `const` keyword.
    pub line: usize,
    pub column: usize,
}

/// The outline of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outline {
    pub fns: Vec<FnItem>,
    pub consts: Vec<ConstItem>,
    /// Positions (line, column) of the first token of each run of other top-level statements.
    pub stray: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Punct(char),
    /// String, character or number literal.
    Literal,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    column: usize,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    column: usize,
}

impl Lexer {
    fn new(src: &str) -> Self {
        Self {
            chars: src.chars().collect(),
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn skip_line_comment(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn skip_block_comment(&mut self) {
        // At "/*".
        self.bump();
        self.bump();
        let mut depth = 1usize;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return,
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    depth += 1;
                }
                (Some('*'), Some('/')) => {
                    self.bump();
                    self.bump();
                    depth -= 1;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips a `"…"` or `'…'` literal (at the opening quote).
    fn skip_quoted(&mut self, quote: char) {
        self.bump();
        while let Some(c) = self.bump() {
            if c == '\\' {
                self.bump();
            } else if c == quote {
                return;
            }
        }
    }

    /// Skips a raw string `#…#"…"#…#` (at the first `#`).
    fn skip_raw(&mut self, hashes: usize) {
        for _ in 0..=hashes {
            self.bump(); // the hashes and the quote
        }
        while let Some(c) = self.bump() {
            if c == '"' && (0..hashes).all(|i| self.peek(i) == Some('#')) {
                for _ in 0..hashes {
                    self.bump();
                }
                return;
            }
        }
    }

    /// Skips a back-tick string (at the opening back-tick), including `${…}` interpolations.
    fn skip_backtick(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            match c {
                '`' => {
                    self.bump();
                    return;
                }
                '$' if self.peek(1) == Some('{') => {
                    self.bump();
                    self.bump();
                    let mut depth = 1usize;
                    while depth > 0 {
                        match self.next_token() {
                            None => return,
                            Some(Token {
                                tok: Tok::Punct('{'),
                                ..
                            }) => depth += 1,
                            Some(Token {
                                tok: Tok::Punct('}'),
                                ..
                            }) => depth -= 1,
                            Some(_) => {}
                        }
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        loop {
            let c = self.peek(0)?;
            let (line, column) = (self.line, self.column);
            let token = |tok| Some(Token { tok, line, column });
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek(1) == Some('/') => self.skip_line_comment(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment(),
                '"' => {
                    self.skip_quoted('"');
                    return token(Tok::Literal);
                }
                '\'' => {
                    self.skip_quoted('\'');
                    return token(Tok::Literal);
                }
                '`' => {
                    self.skip_backtick();
                    return token(Tok::Literal);
                }
                '#' => {
                    let mut hashes = 1;
                    while self.peek(hashes) == Some('#') {
                        hashes += 1;
                    }
                    if self.peek(hashes) == Some('"') {
                        self.skip_raw(hashes);
                        return token(Tok::Literal);
                    }
                    self.bump();
                    if self.peek(0) == Some('{') {
                        // `#{` opens an object map: one opening brace.
                        self.bump();
                        return token(Tok::Punct('{'));
                    }
                    return token(Tok::Punct('#'));
                }
                c if c.is_alphabetic() || c == '_' => {
                    let mut ident = String::new();
                    while let Some(c) = self.peek(0) {
                        if c.is_alphanumeric() || c == '_' {
                            ident.push(c);
                            self.bump();
                        } else {
                            break;
                        }
                    }
                    return token(Tok::Ident(ident));
                }
                c if c.is_ascii_digit() => {
                    while let Some(c) = self.peek(0) {
                        if c.is_alphanumeric() || c == '_' {
                            self.bump();
                        } else {
                            break;
                        }
                    }
                    return token(Tok::Literal);
                }
                c => {
                    self.bump();
                    return token(Tok::Punct(c));
                }
            }
        }
    }
}

fn is_open(t: &Tok) -> bool {
    matches!(t, Tok::Punct('(' | '[' | '{'))
}

fn is_close(t: &Tok) -> bool {
    matches!(t, Tok::Punct(')' | ']' | '}'))
}

fn is_ident(t: &Tok, word: &str) -> bool {
    matches!(t, Tok::Ident(w) if w == word)
}

/// Outlines the top level of `src`.
pub(crate) fn outline(src: &str) -> Outline {
    let mut lexer = Lexer::new(src);
    let mut tokens = Vec::new();
    while let Some(t) = lexer.next_token() {
        tokens.push(t);
    }

    let mut out = Outline::default();
    let mut i = 0;
    // Whether the previous top-level token belonged to a reported stray statement.
    let mut in_stray = false;
    while i < tokens.len() {
        let t = &tokens[i].tok;
        let fn_at = if is_ident(t, "fn") {
            Some(i)
        } else if is_ident(t, "private")
            && tokens.get(i + 1).is_some_and(|n| is_ident(&n.tok, "fn"))
        {
            Some(i + 1)
        } else {
            None
        };
        if let Some(f) = fn_at {
            in_stray = false;
            i = parse_fn(&tokens, f + 1, &mut out);
        } else if is_ident(t, "const") {
            in_stray = false;
            if let Some(Token {
                tok: Tok::Ident(name),
                ..
            }) = tokens.get(i + 1)
            {
                out.consts.push(ConstItem {
                    name: name.clone(),
                    line: tokens[i].line,
                    column: tokens[i].column,
                });
            }
            i = skip_statement(&tokens, i + 1);
        } else if matches!(t, Tok::Punct(';')) {
            i += 1;
        } else {
            if !in_stray {
                out.stray.push((tokens[i].line, tokens[i].column));
                in_stray = true;
            }
            i = skip_statement(&tokens, i);
        }
    }
    out
}

/// From just after `fn`: records the definition and returns the index after its body.
fn parse_fn(tokens: &[Token], mut i: usize, out: &mut Outline) -> usize {
    let mut name: Option<(String, usize, usize)> = None;
    let mut is_method = false;
    while let Some(t) = tokens.get(i) {
        match &t.tok {
            Tok::Ident(w) => name = Some((w.clone(), t.line, t.column)),
            Tok::Punct('.') => is_method = true,
            Tok::Punct('(') => break,
            _ => {}
        }
        i += 1;
    }
    // Parameters.
    let mut depth = 0usize;
    let mut arity = 0usize;
    let mut seen_param = false;
    while let Some(t) = tokens.get(i) {
        i += 1;
        if is_open(&t.tok) {
            depth += 1;
        } else if is_close(&t.tok) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                break;
            }
        } else if depth == 1 {
            match &t.tok {
                Tok::Punct(',') => {
                    if seen_param {
                        arity += 1;
                    }
                    seen_param = false;
                }
                Tok::Ident(_) => seen_param = true,
                _ => {}
            }
        }
    }
    if seen_param {
        arity += 1;
    }
    if let Some((name, line, column)) = name {
        out.fns.push(FnItem {
            name,
            arity,
            is_method,
            line,
            column,
        });
    }
    // Body: skip to the matching close brace.
    let mut depth = 0usize;
    while let Some(t) = tokens.get(i) {
        i += 1;
        if is_open(&t.tok) {
            depth += 1;
        } else if is_close(&t.tok) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                break;
            }
        }
    }
    i
}

/// Skips a statement from `i`: up to and including a `;` at depth 0, or up to a closing
/// brace that returns to depth 0, or up to the next top-level `fn`/`private`/`const`.
fn skip_statement(tokens: &[Token], mut i: usize) -> usize {
    let start = i;
    let mut depth = 0usize;
    while let Some(t) = tokens.get(i) {
        if depth == 0
            && i > start
            && (is_ident(&t.tok, "fn") || is_ident(&t.tok, "private") || is_ident(&t.tok, "const"))
        {
            return i;
        }
        i += 1;
        if is_open(&t.tok) {
            depth += 1;
        } else if is_close(&t.tok) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i;
            }
        } else if depth == 0 && matches!(t.tok, Tok::Punct(';')) {
            return i;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlines_functions_constants_and_strays() {
        let src = r##"// header
const A = 1;
/* nested /* comment */ fn fake() {} */
fn one(a) { "fn not_me(x) {}" }
private fn two(a, b) {
    let m = #{ x: `${ "}" } fn ${1}`, y: '}' };
    m
}
fn zero() { #"raw " fn x() {}"# }
let stray = 1;
if true { 1 } else { 2 }
fn   späť(x,) { x }
"##;
        let o = outline(src);
        let fns: Vec<_> = o
            .fns
            .iter()
            .map(|f| (f.name.as_str(), f.arity, f.line, f.column))
            .collect();
        assert_eq!(
            fns,
            vec![
                ("one", 1, 4, 4),
                ("two", 2, 5, 12),
                ("zero", 0, 9, 4),
                ("späť", 1, 12, 6)
            ]
        );
        assert_eq!(o.consts.len(), 1);
        assert_eq!((o.consts[0].line, o.consts[0].column), (2, 1));
        assert_eq!(o.stray, vec![(10, 1)]);
    }

    #[test]
    fn method_functions_are_marked() {
        let o = outline("fn Order.total(x) { x }");
        assert!(o.fns[0].is_method);
        assert_eq!(o.fns[0].name, "total");
    }
}
