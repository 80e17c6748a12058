//! The lexical side of `SHOW GRANTS` and `SHOW CREATE USER` output: tokens, with quoted names as single
//! tokens so that no name can fake a keyword, and the few queries a parser needs.

use std::collections::BTreeSet;

use crate::account::Account;
use crate::grants::Privilege;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Quoted(char),
    Punct(char),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

const PUNCTUATION: &[char] = &['(', ')', ',', '@', '.', '*', ';', '='];

pub(crate) fn tokenize(row: &str) -> Result<Vec<Token>, &'static str> {
    let mut tokens = Vec::new();
    let mut chars = row.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if matches!(c, '`' | '\'' | '"') {
            let mut end = None;
            while let Some((index, next)) = chars.next() {
                if next == '\\' && c != '`' {
                    chars.next();
                } else if next == c {
                    if chars.peek().is_some_and(|(_, after)| *after == c) {
                        chars.next();
                    } else {
                        end = Some(index + c.len_utf8());
                        break;
                    }
                }
            }
            let end = end.ok_or("a quoted name is not closed")?;
            tokens.push(Token {
                kind: Kind::Quoted(c),
                start,
                end,
            });
        } else if PUNCTUATION.contains(&c) {
            tokens.push(Token {
                kind: Kind::Punct(c),
                start,
                end: start + c.len_utf8(),
            });
        } else {
            let mut end = start + c.len_utf8();
            while let Some((index, next)) = chars.peek().copied() {
                if next.is_whitespace() || PUNCTUATION.contains(&next) || matches!(next, '`' | '\'' | '"') {
                    break;
                }
                end = index + next.len_utf8();
                chars.next();
            }
            tokens.push(Token {
                kind: Kind::Word,
                start,
                end,
            });
        }
    }
    Ok(tokens)
}

/// A row and its tokens.
pub(crate) struct Row<'a> {
    text: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Row<'a> {
    /// Tokenises one row.
    pub(crate) fn parse(text: &'a str) -> Result<Self, &'static str> {
        Ok(Self {
            text,
            tokens: tokenize(text)?,
        })
    }

    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        match (
            self.tokens.get(from),
            to.checked_sub(1).and_then(|last| self.tokens.get(last)),
        ) {
            (Some(first), Some(last)) if from < to => &self.text[first.start..last.end],
            _ => "",
        }
    }

    pub(crate) fn is_word(&self, index: usize, word: &str) -> bool {
        self.tokens.get(index).is_some_and(|token| {
            token.kind == Kind::Word && self.text[token.start..token.end].eq_ignore_ascii_case(word)
        })
    }

    /// The first top-level word `word` at or after `from`.
    pub(crate) fn find_word(&self, from: usize, word: &str) -> Option<usize> {
        let mut depth = 0usize;
        for index in from..self.tokens.len() {
            match self.tokens[index].kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') => depth = depth.saturating_sub(1),
                _ if depth == 0 && self.is_word(index, word) => return Some(index),
                _ => {}
            }
        }
        None
    }

    /// Token ranges between top-level commas in `from..to`.
    pub(crate) fn split_commas(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut items = Vec::new();
        let (mut depth, mut item_start) = (0usize, from);
        for index in from..to {
            match self.tokens[index].kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') => depth = depth.saturating_sub(1),
                Kind::Punct(',') if depth == 0 => {
                    items.push((item_start, index));
                    item_start = index + 1;
                }
                _ => {}
            }
        }
        items.push((item_start, to));
        items.into_iter().filter(|(start, end)| start < end).collect()
    }

    /// The unquoted value of a name token.
    pub(crate) fn name(&self, index: usize) -> Option<String> {
        let token = self.tokens.get(index)?;
        let raw = &self.text[token.start..token.end];
        match token.kind {
            Kind::Word => Some(raw.to_owned()),
            Kind::Quoted(quote) => {
                let inner = &raw[quote.len_utf8()..raw.len() - quote.len_utf8()];
                let doubled = format!("{quote}{quote}");
                let mut value = inner.replace(&doubled, &quote.to_string());
                if quote != '`' {
                    value = unescape_backslashes(&value);
                }
                Some(value)
            }
            Kind::Punct(_) => None,
        }
    }

    /// Whether the three tokens at `index` are `user@host` naming `account`.
    pub(crate) fn names_account(&self, index: usize, account: &Account) -> bool {
        self.tokens
            .get(index + 1)
            .is_some_and(|token| token.kind == Kind::Punct('@'))
            && self.name(index).as_deref() == Some(account.user.as_str())
            && self.name(index + 2).as_deref() == Some(account.host.as_str())
    }

    /// Whether `WITH … <word> OPTION` appears at or after `from`.
    pub(crate) fn has_option(&self, from: usize, word: &str) -> bool {
        self.find_word(from, "WITH").is_some()
            && (from..self.tokens.len())
                .any(|index| self.is_word(index, word) && self.is_word(index + 1, "OPTION"))
    }

    pub(crate) fn privileges(&self, from: usize, to: usize) -> Result<BTreeSet<Privilege>, &'static str> {
        let mut privileges = BTreeSet::new();
        for (start, end) in self.split_commas(from, to) {
            let open = (start..end).find(|index| self.tokens[*index].kind == Kind::Punct('('));
            let words = (start..open.unwrap_or(end))
                .map(|index| match self.tokens[index].kind {
                    Kind::Word => {
                        Ok(self.text[self.tokens[index].start..self.tokens[index].end].to_ascii_uppercase())
                    }
                    _ => Err("a privilege name is not a word"),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let name = words.join(" ");
            if name.is_empty() {
                return Err("an empty privilege");
            }
            match open {
                None if name == "USAGE" => {}
                None => {
                    privileges.insert(Privilege { name, column: None });
                }
                Some(open) => {
                    let close = end
                        .checked_sub(1)
                        .filter(|close| self.tokens[*close].kind == Kind::Punct(')'));
                    let close = close.ok_or("a column list is not closed")?;
                    for (column_start, column_end) in self.split_commas(open + 1, close) {
                        let column = self.slice(column_start, column_end).to_owned();
                        privileges.insert(Privilege {
                            name: name.clone(),
                            column: Some(column),
                        });
                    }
                }
            }
        }
        Ok(privileges)
    }

    pub(crate) fn items(&self, from: usize, to: usize) -> Vec<String> {
        self.split_commas(from, to)
            .into_iter()
            .map(|(start, end)| self.slice(start, end).to_owned())
            .collect()
    }
}

fn unescape_backslashes(text: &str) -> String {
    let mut value = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('0') => value.push('\0'),
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('Z') => value.push('\u{1a}'),
                Some(other) => value.push(other),
                None => value.push('\\'),
            }
        } else {
            value.push(c);
        }
    }
    value
}
