//! `named_enum!`: an enum of fixed names as records and output spell them,
//! with `as_str`, `Display` and serde generated from the one list of names,
//! so that the text and the wire form cannot drift apart.

/// Declares a fieldless enum whose variants serialize as the given names.
///
/// ```ignore
/// named_enum! {
///     /// What an operation asks GitHub to do.
///     pub enum OpKind {
///         CreateIssue = "create_issue",
///     }
/// }
/// ```
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// The name used in records and output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;
